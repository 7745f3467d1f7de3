package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// secretField is one Secret of the Config, with its YAML key and environment name.
type secretField struct {
	key string // YAML path, for messages
	env string // PMBOT_… variable; env+"_FILE" reads it from a file
	ptr func(*Config) *Secret
}

// secretFields lists every Secret so env overrides, *_FILE variants and ${}
// placeholders treat them all alike.
var secretFields = []secretField{
	{"slack.bot_token", "PMBOT_SLACK_BOT_TOKEN", func(c *Config) *Secret { return &c.Slack.BotToken }},
	{"slack.app_token", "PMBOT_SLACK_APP_TOKEN", func(c *Config) *Secret { return &c.Slack.AppToken }},
	{"slack.signing_secret", "PMBOT_SLACK_SIGNING_SECRET", func(c *Config) *Secret { return &c.Slack.SigningSecret }},
	{"discord.bot_token", "PMBOT_DISCORD_BOT_TOKEN", func(c *Config) *Secret { return &c.Discord.BotToken }},
}

// plainField is a non-secret setting that an environment variable may override.
type plainField struct {
	env string
	set func(*Config, string) error
}

var plainFields = []plainField{
	{"PMBOT_DATABASE", func(c *Config, v string) error { c.Database = v; return nil }},
	{"PMBOT_POLL_INTERVAL", func(c *Config, v string) error {
		d, err := ParseDuration(v)
		if err != nil {
			return err
		}
		c.PollInterval = d
		return nil
	}},
	{"PMBOT_LOG_LEVEL", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	{"PMBOT_LOG_FORMAT", func(c *Config, v string) error { c.Log.Format = v; return nil }},
	{"PMBOT_DISCORD_APPLICATION_ID", func(c *Config, v string) error { c.Discord.ApplicationID = v; return nil }},
	{"PMBOT_DISCORD_PUBLIC_KEY", func(c *Config, v string) error { c.Discord.PublicKey = v; return nil }},
}

// envMap turns "KEY=value" entries into a map; a later entry wins, as in a shell.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// ApplyEnv applies the PMBOT_* overrides in env ("KEY=value" entries, as from
// os.Environ): PMBOT_DATABASE, PMBOT_POLL_INTERVAL, PMBOT_LOG_LEVEL,
// PMBOT_LOG_FORMAT, PMBOT_DISCORD_APPLICATION_ID, PMBOT_DISCORD_PUBLIC_KEY and, for
// each secret, PMBOT_SLACK_BOT_TOKEN, PMBOT_SLACK_APP_TOKEN,
// PMBOT_SLACK_SIGNING_SECRET, PMBOT_DISCORD_BOT_TOKEN, or the same name with _FILE
// naming a file that holds it (Docker and Kubernetes secrets). PMBOT_DATABASE_FILE
// is accepted too, since a Postgres URL carries a password. An empty variable counts
// as unset, so "PMBOT_X=${X}" in a compose file does not wipe a value. It returns an
// *Error listing every bad variable.
func (c *Config) ApplyEnv(env []string) error {
	vars := envMap(env)
	var problems []Problem
	// fromFile reads NAME_FILE; it never puts the file's content in a message.
	fromFile := func(name string) (string, bool) {
		p := vars[name+"_FILE"]
		if p == "" {
			return "", false
		}
		if vars[name] != "" {
			problems = append(problems, Problem{Key: name, Message: fmt.Sprintf("both %s and %s_FILE are set; keep one", name, name)})
			return "", false
		}
		b, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, Problem{Key: name + "_FILE", Message: fmt.Sprintf("cannot read the file: %v", err)})
			return "", false
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			problems = append(problems, Problem{Key: name + "_FILE", Message: fmt.Sprintf("%s is empty", p)})
			return "", false
		}
		return v, true
	}
	for _, f := range plainFields {
		v, ok := vars[f.env], vars[f.env] != ""
		if f.env == "PMBOT_DATABASE" {
			if fv, fok := fromFile(f.env); fok {
				v, ok = fv, true
			}
		}
		if !ok {
			continue
		}
		if err := f.set(c, strings.TrimSpace(v)); err != nil {
			problems = append(problems, Problem{Key: f.env, Message: err.Error()})
		}
	}
	for _, f := range secretFields {
		if v, ok := fromFile(f.env); ok {
			*f.ptr(c) = Secret(v)
		} else if v := vars[f.env]; v != "" {
			*f.ptr(c) = Secret(strings.TrimSpace(v))
		}
	}
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	return nil
}

// placeholderRe matches ${NAME} in a secret field.
var placeholderRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// unresolved is a ${NAME} placeholder whose variable is empty or unset.
type unresolved struct {
	field secretField
	name  string
}

// expandPlaceholders replaces ${NAME} in secret fields with the variable's value,
// so a config file can be committed without its tokens. Only secret fields are
// expanded: elsewhere "$" may be meant literally (URLs, cron specs). A field with an
// unset variable is emptied and reported by the caller unless an override fills it.
func (c *Config) expandPlaceholders(vars map[string]string) []unresolved {
	var out []unresolved
	for _, f := range secretFields {
		p := f.ptr(c)
		s := string(*p)
		if !strings.Contains(s, "${") {
			continue
		}
		var missing []string
		s = placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			v := vars[name]
			if v == "" {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			out = append(out, unresolved{field: f, name: missing[0]})
			s = ""
		}
		*p = Secret(strings.TrimSpace(s))
	}
	return out
}
