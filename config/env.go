package config

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pmbot/pmbot/localfile"
)

// secretField is one Secret of the Config, with its YAML key and environment name.
type secretField struct {
	key  string // YAML path, for messages
	env  string // PMBOT_… variable; env+"_FILE" reads it from a file
	what string // what it holds, in words: "the token"
	// anyValue: any value written in the file is a secret worth a warning, not
	// only one shaped like a token.
	anyValue bool
	ptr      func(*Config) *Secret
}

// secretFields lists every Secret so env overrides, *_FILE variants and ${}
// placeholders treat them all alike.
var secretFields = []secretField{
	{"slack.bot_token", "PMBOT_SLACK_BOT_TOKEN", "the token", false, func(c *Config) *Secret { return &c.Slack.BotToken }},
	{"slack.app_token", "PMBOT_SLACK_APP_TOKEN", "the token", false, func(c *Config) *Secret { return &c.Slack.AppToken }},
	{"slack.signing_secret", "PMBOT_SLACK_SIGNING_SECRET", "the signing secret", true, func(c *Config) *Secret { return &c.Slack.SigningSecret }},
	{"discord.bot_token", "PMBOT_DISCORD_BOT_TOKEN", "the token", false, func(c *Config) *Secret { return &c.Discord.BotToken }},
}

// plainField is a non-secret setting that an environment variable may override.
type plainField struct {
	env string
	set func(*Config, string) error
}

var plainFields = []plainField{
	{"PMBOT_DATABASE", func(c *Config, v string) error { c.Database = v; return nil }},
	{"PMBOT_POLL_INTERVAL", func(c *Config, v string) error { return setDuration(&c.PollInterval, v) }},
	{"PMBOT_MAX_ANNOUNCEMENT_AGE", func(c *Config, v string) error { return setDuration(&c.MaxAnnouncementAge, v) }},
	{"PMBOT_LOG_LEVEL", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	{"PMBOT_LOG_FORMAT", func(c *Config, v string) error { c.Log.Format = v; return nil }},
	{"PMBOT_DISCORD_APPLICATION_ID", func(c *Config, v string) error { c.Discord.ApplicationID = v; return nil }},
	{"PMBOT_DISCORD_PUBLIC_KEY", func(c *Config, v string) error { c.Discord.PublicKey = v; return nil }},
	{"PMBOT_SLACK_API_URL", func(c *Config, v string) error { c.Slack.APIURL = v; return nil }},
	{"PMBOT_DISCORD_API_URL", func(c *Config, v string) error { c.Discord.APIURL = v; return nil }},
	{"PMBOT_LISTEN", func(c *Config, v string) error { c.Listen = v; return nil }},
}

func setDuration(d *Duration, v string) error {
	p, err := ParseDuration(v)
	if err != nil {
		return err
	}
	*d = p
	return nil
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
// os.Environ): PMBOT_DATABASE, PMBOT_POLL_INTERVAL, PMBOT_MAX_ANNOUNCEMENT_AGE,
// PMBOT_LOG_LEVEL, PMBOT_LOG_FORMAT, PMBOT_DISCORD_APPLICATION_ID,
// PMBOT_DISCORD_PUBLIC_KEY and, for each secret, PMBOT_SLACK_BOT_TOKEN,
// PMBOT_SLACK_APP_TOKEN, PMBOT_SLACK_SIGNING_SECRET, PMBOT_DISCORD_BOT_TOKEN, or
// the same name with _FILE naming a file that holds it (Docker and Kubernetes
// secrets). PMBOT_DATABASE_FILE is accepted too, since a database URL may carry a
// password. A _FILE must be a regular file of at most 64 KiB holding the value
// alone, as text. An empty variable counts as unset, so "PMBOT_X=${X}" in a
// compose file does not wipe a value. It returns an *Error listing every bad
// variable; no message quotes a file's content.
func (c *Config) ApplyEnv(env []string) error {
	vars := envMap(env)
	var problems []Problem
	fromFile := func(name, what string) (string, bool) {
		path := vars[name+"_FILE"]
		if path == "" {
			return "", false
		}
		if vars[name] != "" {
			problems = append(problems, Problem{Key: name, Message: fmt.Sprintf("both %s and %s_FILE are set; keep one", name, name)})
			return "", false
		}
		v, msg := readValueFile(path, what)
		if msg != "" {
			problems = append(problems, Problem{Key: name + "_FILE", Message: msg})
			return "", false
		}
		return v, true
	}
	for _, f := range plainFields {
		v, ok := vars[f.env], vars[f.env] != ""
		if f.env == "PMBOT_DATABASE" {
			if fv, fok := fromFile(f.env, "the database path or URL"); fok {
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
		if v, ok := fromFile(f.env, f.what); ok {
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

// maxValueFileSize caps a *_FILE: a token or a database URL is a few hundred
// bytes, so anything larger is the wrong file and is not read whole.
const maxValueFileSize = 64 << 10

// readValueFile reads the value a *_FILE variable points at, trimmed. On failure
// it returns a message that names the path and what is wrong, never the content.
func readValueFile(path, what string) (string, string) {
	b, _, err := localfile.Read(context.Background(), path, maxValueFileSize)
	if err != nil {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err
		}
		switch {
		case errors.Is(err, localfile.ErrNotRegular):
			return "", fmt.Sprintf("%s: %v; point it at the file that holds %s", path, cause, what)
		case errors.Is(err, localfile.ErrTooLarge):
			return "", fmt.Sprintf("%s is larger than 64 KiB; it must hold %s alone", path, what)
		}
		return "", fmt.Sprintf("cannot read %s: %v", path, cause)
	}
	// Editors on Windows start files with a byte order mark; it is not part of
	// the value.
	v := strings.TrimSpace(strings.TrimPrefix(string(b), "\uFEFF"))
	switch {
	case v == "":
		return "", fmt.Sprintf("%s is empty", path)
	case !isText(v):
		return "", fmt.Sprintf("%s does not hold text (binary data); it must hold %s alone", path, what)
	case strings.ContainsAny(v, "\r\n"):
		return "", fmt.Sprintf("%s holds several lines; it must hold %s alone", path, what)
	}
	return v, ""
}

// isText reports whether s is UTF-8 without control characters other than tabs
// and line breaks: a token file is text, and anything else is the wrong file.
func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
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
