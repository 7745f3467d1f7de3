package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Line is the YAML line, when known (syntax and type errors).
	Line int
	// Key names the setting: "poll_interval", "feeds[1].apple", "PMBOT_DATABASE".
	Key string
	// Message says what is wrong and what to do. It never holds a secret's value.
	Message string
}

// String is "line 3: key: message", leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is a configuration that cannot be used. It lists every problem so an admin
// fixes them in one pass rather than one per restart.
type Error struct {
	// File is the configuration file, when the config came from one.
	File     string
	Problems []Problem
}

// Error is one line per problem, each "config: [file: ]problem".
func (e *Error) Error() string {
	prefix := "config: "
	if e.File != "" {
		prefix += e.File + ": "
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = prefix + p.String()
	}
	return strings.Join(lines, "\n")
}

var (
	syntaxLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	typeLineRe   = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	unknownKeyRe = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	// The value between backquotes is yaml.v3's first characters of the offending
	// value; it may hold anything, even a line break.
	cannotRe = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)(?: `.*`)? into (\\S+)$")
)

// yamlError turns a fatal yaml.v3 error (syntax, or a type error outside the
// configuration's decoding) into an *Error, keeping its line numbers.
func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		e := &Error{}
		for _, p := range typeProblems(te) {
			e.Problems = append(e.Problems, p.Problem)
		}
		return e
	}
	msg := err.Error()
	if m := syntaxLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Problems: []Problem{{Line: line, Message: m[2]}}}
	}
	return &Error{Problems: []Problem{{Message: strings.TrimPrefix(msg, "yaml: ")}}}
}

// typeProblem is one yaml.v3 type error as a Problem, with yaml.v3's own message
// (line number removed) to find its key by.
type typeProblem struct {
	Problem
	raw string
}

// typeProblems turns the errors of a *yaml.TypeError into problems, keeping their
// line numbers and rewriting the messages that name Go types into ones that name
// keys.
func typeProblems(te *yaml.TypeError) []typeProblem {
	var out []typeProblem
	for _, s := range te.Errors {
		p := typeProblem{Problem: Problem{Message: s}, raw: s}
		if m := typeLineRe.FindStringSubmatch(s); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			p.raw = m[2]
		}
		p.Message = friendlyTypeError(p.raw)
		out = append(out, p)
	}
	return out
}

// friendlyTypeError rewrites one yaml.v3 type error. yaml.v3 quotes the first
// characters of the offending value, which may be a token pasted in the wrong place,
// so values are dropped.
func friendlyTypeError(msg string) string {
	if m := unknownKeyRe.FindStringSubmatch(msg); m != nil {
		return unknownKeyMessage(m[1], m[2])
	}
	if m := cannotRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("expected %s here, not %s", goTypeWords(m[2]), yamlTagWords(m[1]))
	}
	return msg
}

// sections maps the Go types yaml.v3 names to the keys they accept and to words.
var sections = map[string]struct {
	where string
	typ   reflect.Type
}{
	"config.Config":       {"at the top level", reflect.TypeFor[Config]()},
	"config.Feed":         {"in a feed", reflect.TypeFor[Feed]()},
	"config.Subscription": {"in a subscription", reflect.TypeFor[Subscription]()},
	"config.Digest":       {"in digest", reflect.TypeFor[Digest]()},
	"config.Slack":        {"in slack", reflect.TypeFor[Slack]()},
	"config.Discord":      {"in discord", reflect.TypeFor[Discord]()},
	"config.Log":          {"in log", reflect.TypeFor[Log]()},
}

// unknownKeyMessage names the unknown key, suggests the closest known one, and
// otherwise lists the keys that are allowed there.
func unknownKeyMessage(key, goType string) string {
	sec, ok := sections[goType]
	if !ok {
		return fmt.Sprintf("unknown key %q", key)
	}
	var keys []string
	for f := range sec.typ.Fields() {
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	best, bestDist := "", 3 // farther than 2 edits is a guess, not a typo
	for _, k := range keys {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key %q %s; did you mean %q?", key, sec.where, best)
	}
	return fmt.Sprintf("unknown key %q %s; known keys are %s", key, sec.where, strings.Join(keys, ", "))
}

// editDistance is the Levenshtein distance, for "did you mean".
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list (lines starting with -)"
	case t == "int" || t == "*int":
		return "a whole number"
	case t == "bool" || t == "*bool":
		return "true or false"
	case t == "string" || t == "config.Secret":
		return "a single value"
	}
	if _, ok := sections[t]; ok {
		return "a mapping (key: value lines)"
	}
	return "a " + t
}

func yamlTagWords(tag string) string {
	switch tag {
	case "!!str":
		return "text"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "true/false"
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	}
	return tag
}
