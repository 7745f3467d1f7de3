package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/pmbot/pmbot/store/storetest"
)

// withPassword puts a password into a PostgreSQL URL (the test server trusts
// its clients, so it is not checked; it must never be printed).
func withPassword(t *testing.T, dsn string) string {
	t.Helper()
	const user = "postgres://postgres@"
	if !strings.HasPrefix(dsn, user) {
		t.Skipf("%s does not start with %s", storetest.PostgresEnv, user)
	}
	return "postgres://postgres:hunter2@" + strings.TrimPrefix(dsn, user)
}

// TestCheckConfigPostgres: check-config with a PostgreSQL URL connects and says
// which server and schema version it found, without creating anything or
// printing the password.
func TestCheckConfigPostgres(t *testing.T) {
	t.Parallel()
	dsn := withPassword(t, storetest.PostgresURL(t))
	checkConfig := func(want string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"--feed", fixture, "--db", dsn, "check-config"}, strings.NewReader(""), &out, &errOut, nil)
		re := `(?m)^config OK\n  database: postgres://postgres:xxxxx@127\.0\.0\.1:5432/test\?\S+ \(PostgreSQL [0-9.]+\S*( \([^)]*\))?; ` + want + `\)$`
		if code != 0 || !regexp.MustCompile(re).MatchString(out.String()) || errOut.Len() != 0 {
			t.Errorf("check-config: exit %d, stdout %q, stderr %q; want 0 and %q", code, out.String(), errOut.String(), re)
		}
		if strings.Contains(out.String()+errOut.String(), "hunter2") {
			t.Error("the password was printed")
		}
	}
	checkConfig(`no pmbot tables yet: the first start creates them`)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--feed", fixture, "--db", dsn, "poll", "--once"}, strings.NewReader(""), &out, &errOut, nil); code != 0 {
		t.Fatalf("poll --once: exit %d, stderr %q", code, errOut.String())
	}
	checkConfig(`schema version \d+, up to date`)
}

// TestPostgresCommands: the CLI on a PostgreSQL database polls, then answers
// from what it stored, as on SQLite.
func TestPostgresCommands(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	cli := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"--feed", fixture, "--db", dsn}, args...), strings.NewReader(""), &out, &errOut, nil)
		return out.String(), errOut.String(), code
	}
	if _, stderr, code := cli("poll", "--once"); code != 0 {
		t.Fatalf("poll --once: exit %d, stderr %q", code, stderr)
	}
	stdout, stderr, code := cli("--json", "latest", "3")
	var eps []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &eps) != nil || len(eps) != 3 {
		t.Errorf("latest 3: exit %d, stdout %q, stderr %q; want 3 episodes", code, stdout, stderr)
	}
	if stdout, stderr, code := cli("episode", "17"); code != 0 || stdout == "" {
		t.Errorf("episode 17: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if stdout, stderr, code := cli("search", "bgp"); code != 0 || stdout == "" {
		t.Errorf("search bgp: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestPollOnceAcrossRunsPostgres is TestPollOnceAcrossRuns on PostgreSQL, with
// the real binary: each announcement is made once across processes, and a
// flood is one summary.
func TestPollOnceAcrossRunsPostgres(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	env := []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1", "PMBOT_DATABASE=" + dsn}
	if stdout, stderr, code := pmbotEnv(t, env, "poll", "--once", "--json", "--feed", feed, "--db", dsn); code != 0 || stdout != "" {
		t.Fatalf("first poll: code %d stdout %q stderr %q; want silence", code, stdout, stderr)
	}
	testFeed(t, dir, 4, nil)
	stdout, stderr, code := pmbotEnv(t, env, "--db", dsn, "--feed", feed, "poll", "--once", "--json")
	if code != 0 || !strings.Contains(stdout, `"guid":"e2e-4"`) || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("second poll: code %d stdout %q stderr %q; want episode 4 once", code, stdout, stderr)
	}
	if stdout, _, code := pmbotEnv(t, env, "--db", dsn, "--feed", feed, "poll", "--once", "--json"); code != 0 || stdout != "" {
		t.Errorf("third poll: code %d stdout %q; want nothing new", code, stdout)
	}
	testFeed(t, dir, 9, nil)
	stdout, _, _ = pmbotEnv(t, env, "--db", dsn, "--feed", feed, "poll", "--once", "--json")
	if !strings.Contains(stdout, `"kind":"summary"`) || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, `"episodes":5`) {
		t.Errorf("flood poll output = %q, want one summary of 5", stdout)
	}
}
