// Command pmbot brings a podcast into Slack, Discord or a terminal: it announces new
// episodes once, answers /postmortem commands, and offers the same engine as a CLI.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"github.com/pmbot/pmbot/config"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	// SIGHUP (a closed terminal, or a supervisor's reload) stops the bot as
	// gracefully as SIGTERM rather than killing it mid-post.
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		// A second signal means the operator will not wait for the graceful stop.
		select {
		case <-sigs:
			fmt.Fprintln(os.Stderr, "pmbot: stopped without waiting (second signal)")
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	close(done)
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

const usage = `Usage: pmbot [--config FILE] [--db PATH] [--feed URL|PATH]... <command> [flags]

Commands:
  run                        the bot: poll, deliver, digests, answer commands (console when no Slack/Discord credentials)
  poll --once [--json]       one poll of every feed; deliver what is new; exit
  search [--json] [--limit N] <words>
  episode [--json] <n|latest|words>
  takeaways [--json] <n|latest>
  chapters [--json] <n|latest>
  links [--json] <n|latest>
  latest [--json] [n]
  random [--json]
  digest [--json] [--since DATE]
  preview --platform slack|discord (--episode N | --latest | --summary N | --digest | --command "TEXT")
                             the exact JSON the platform would get, without credentials
  notes-report [--json] FEED...
                             how the show notes of each feed (path or URL) were understood: takeaways,
                             chapters, links and their problems, counted per feed
  check-config               load and validate the configuration, then exit
  migrate --from DB --to DB  move the whole history to another, empty database (SQLite file or postgres:// URL)
  version                    print the version

Global flags (before or after the command):
  --config FILE   YAML configuration (see config.example.yaml); default: built in, following Post Mortem
  --db PATH       SQLite database file, or postgres:// URL; default pmbot.db, or in memory with --feed
  --feed URL      follow this feed (URL, file:// URL or path) instead of the configured ones; repeatable
  --log-level L   debug, info, warn or error
`

// Exit codes, as the README documents them.
const (
	exitOK = 0
	// exitFailure: the command could not do or find what was asked (an unknown
	// episode, an unreadable feed, a bad configuration, a database error).
	exitFailure = 1
	// exitUsage: a mistake in the command line itself.
	exitUsage = 2
	// exitInterrupted: stopped by SIGINT, SIGTERM or SIGHUP before the end.
	exitInterrupted = 130
)

// maxLimit bounds `search --limit`: more results than this is not a search.
const maxLimit = 50

// cli is the parsed command line.
type cli struct {
	configPath string
	db         string
	feeds      []string
	json       bool
	once       bool
	limit      int
	since      string
	from, to   string // migrate's databases
	logLevel   string
	command    string
	args       []string
	preview    previewFlags
	// given holds the flags set on the command line, by name.
	given map[string]bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

var negativeNumber = regexp.MustCompile(`^-[0-9]+$`)

// parseArgs reads flags wherever they stand, before or after the command and its
// arguments, so `pmbot --feed f.xml episode 3` and `pmbot episode 3 --feed f.xml` agree.
// Errors are usageErrors of one line.
func parseArgs(args []string) (cli, error) {
	c := cli{given: make(map[string]bool)}
	var limit string
	fs := flag.NewFlagSet("pmbot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.configPath, "config", "", "")
	fs.StringVar(&c.db, "db", "", "")
	fs.Var((*multiFlag)(&c.feeds), "feed", "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.BoolVar(&c.once, "once", false, "")
	fs.StringVar(&limit, "limit", "", "")
	fs.StringVar(&c.since, "since", "", "")
	fs.StringVar(&c.from, "from", "", "")
	fs.StringVar(&c.to, "to", "", "")
	c.preview.register(fs)
	fs.StringVar(&c.logLevel, "log-level", "", "")
	var positional []string
	for {
		// A negative number is an argument ("episode -1"), not an unknown flag.
		for len(args) > 0 && negativeNumber.MatchString(args[0]) {
			positional, args = append(positional, args[0]), args[1:]
		}
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return cli{command: "help", given: map[string]bool{}}, nil
			}
			return cli{}, usageError{flagMessage(err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	fs.Visit(func(f *flag.Flag) { c.given[f.Name] = true })
	if len(positional) == 0 {
		c.command = "run"
	} else {
		c.command, c.args = positional[0], positional[1:]
	}
	c.limit = 10
	if c.given["limit"] {
		n, err := strconv.Atoi(strings.TrimSpace(limit))
		if err != nil || n < 1 || n > maxLimit {
			return cli{}, usageError{fmt.Sprintf("--limit %s: give a number of results from 1 to %d", printable(clip(limit, 24)), maxLimit)}
		}
		c.limit = n
	}
	if c.given["log-level"] {
		lvl, err := config.ParseLogLevel(c.logLevel)
		if err != nil {
			return cli{}, usageError{"--log-level: " + err.Error()}
		}
		c.logLevel = lvl
	}
	return c, nil
}

// flagMessage rewords the flag package's errors for people.
func flagMessage(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return fmt.Sprintf("unknown flag %s", printable(clip(name, 40)))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return fmt.Sprintf("%s needs a value", printable(name))
	}
	return oneLine(msg)
}

// printable quotes s when it holds characters that would break a one-line message.
func printable(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

// clip shortens what a user typed before it is quoted back.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	c, err := parseArgs(args)
	if err == nil {
		err = check(c)
	}
	if err != nil {
		return report(ctx, stderr, err)
	}
	return report(ctx, stderr, commandTable[c.command].run(ctx, c, stdin, stdout, stderr, env))
}

// report prints err, if any, as the user should read it, and returns the exit code.
func report(ctx context.Context, stderr io.Writer, err error) int {
	var ue usageError
	var ce *config.Error
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "pmbot: interrupted; stopped before the end")
		return exitInterrupted
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pmbot: %v (see `pmbot help`)\n", err)
		return exitUsage
	case errors.As(err, &ce):
		// A configuration may have several problems: one line each, so the admin
		// fixes them all in one go.
		for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
			fmt.Fprintf(stderr, "pmbot: %s\n", strings.TrimSpace(line))
		}
		return exitFailure
	default:
		fmt.Fprintf(stderr, "pmbot: %s\n", oneLine(err.Error()))
		return exitFailure
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// emptyResult is an answer with nothing in it (no match): the output, if any, was
// printed, and the exit code says that nothing was found.
type emptyResult struct{ msg string }

func (e emptyResult) Error() string { return e.msg }

type commandFunc func(ctx context.Context, c cli, stdin io.Reader, stdout, stderr io.Writer, env []string) error

// command is one CLI command: what runs it and what it accepts.
type command struct {
	run commandFunc
	// minArgs and maxArgs bound the arguments (maxArgs -1: any number).
	minArgs, maxArgs int
	// needs says what the arguments are, for the message when they are missing.
	needs string
	// flags are the command's own flags; --config, --db, --feed and --log-level
	// go with every command.
	flags []string
}

// globalFlags apply to every command.
var globalFlags = []string{"config", "db", "feed", "log-level"}

// episodeArg says what the commands about one episode take.
const episodeArg = "an episode: a number, `latest`, or words of its title"

// commandTable is every CLI command: what runs it and what it accepts.
var commandTable = map[string]command{
	"run":          {run: cmdRun},
	"poll":         {run: cmdPoll, flags: []string{"once", "json"}},
	"check-config": {run: cmdCheckConfig},
	"migrate":      {run: cmdMigrate, flags: []string{"from", "to"}},
	"version":      {run: cmdVersion},
	"help": {run: func(_ context.Context, _ cli, _ io.Reader, stdout, _ io.Writer, _ []string) error {
		_, err := io.WriteString(stdout, usage)
		return err
	}, maxArgs: -1},
	"search":       {run: runQuery, minArgs: 1, maxArgs: -1, needs: "words to look for, like `search bgp`", flags: []string{"json", "limit"}},
	"episode":      {run: runQuery, minArgs: 1, maxArgs: -1, needs: episodeArg, flags: []string{"json"}},
	"takeaways":    {run: runQuery, minArgs: 1, maxArgs: -1, needs: episodeArg, flags: []string{"json"}},
	"chapters":     {run: runQuery, minArgs: 1, maxArgs: -1, needs: episodeArg, flags: []string{"json"}},
	"links":        {run: runQuery, minArgs: 1, maxArgs: -1, needs: episodeArg, flags: []string{"json"}},
	"latest":       {run: runQuery, maxArgs: 1, flags: []string{"json"}},
	"random":       {run: runQuery, flags: []string{"json"}},
	"digest":       {run: runQuery, flags: []string{"json", "since"}},
	"preview":      {run: cmdPreview, flags: previewFlagNames},
	"notes-report": {run: cmdNotesReport, minArgs: 1, maxArgs: -1, needs: "feed files or URLs, like `notes-report feed.xml`", flags: []string{"json"}},
}

// check refuses a command line the command cannot take, before anything is opened,
// with the same words and exit code whatever the output format.
func check(c cli) error {
	cmd, ok := commandTable[c.command]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", clip(c.command, 40))}
	}
	for name := range c.given {
		if !slices.Contains(globalFlags, name) && !slices.Contains(cmd.flags, name) {
			return usageError{fmt.Sprintf("%s does not take --%s", c.command, name)}
		}
	}
	switch {
	case len(c.args) < cmd.minArgs:
		return usageError{fmt.Sprintf("%s needs %s", c.command, cmd.needs)}
	case cmd.maxArgs == 0 && len(c.args) > 0:
		return usageError{fmt.Sprintf("%s takes no arguments (got %q)", c.command, clip(strings.Join(c.args, " "), 40))}
	case cmd.maxArgs > 0 && len(c.args) > cmd.maxArgs:
		return usageError{fmt.Sprintf("%s takes at most %d argument (got %q)", c.command, cmd.maxArgs, clip(strings.Join(c.args, " "), 40))}
	}
	return checkArgs(c)
}

// oneLine folds a multi-line error so stderr gets one clear line per problem group.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
