package config

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// redacted is what a set Secret prints as.
const redacted = "[redacted]"

// Secret is a credential. Every way of printing it (fmt, slog, JSON, YAML, text)
// gives "[redacted]" when it is set and "" when it is not, so a token cannot reach a
// log line, an error or a reply by accident; Value is the one way to read it.
type Secret string

// Value returns the real secret, for the code that sends it to the platform.
func (s Secret) Value() string { return string(s) }

// String returns "[redacted]" when set, so %v, %s and %+v never show the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString covers %#v, which would otherwise print the raw string.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format covers every other verb (%q, %x, %d…), which would otherwise bypass String
// or print the underlying bytes.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprint(f, strconv.Quote(s.String()))
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// MarshalText redacts the secret in JSON, YAML and any text encoder.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Duration is a time.Duration written in YAML as "15m" or "1h30m"; a bare integer is
// a number of seconds, because that is what most people mean by "poll_interval: 900".
type Duration struct{ time.Duration }

// String is the short form ("15m", "1h30m", "10s") used in messages.
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseDuration reads "15m", "1h30m" or a bare number of seconds ("900").
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return Duration{}, fmt.Errorf("%q is too long; write it like 15m or 1h30m", s)
		}
		return Duration{time.Duration(n) * time.Second}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return Duration{}, fmt.Errorf("%q is not a duration; write it like 15m, 1h30m or 900 (seconds)", s)
	}
	return Duration{d}, nil
}

// UnmarshalYAML reads a duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf(
			"line %d: expected a duration like 15m or 1h30m, not a list or mapping", n.Line)}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		// A TypeError keeps the line number and lets yaml.v3 report the other
		// problems of the file too.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}

// MarshalYAML writes the short form, so a dumped config reads back the same.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the short form (JSON output of the config).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText writes, or a number of seconds.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
