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
	"strings"
	"syscall"

	"github.com/pmbot/pmbot/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
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
  check-config               load and validate the configuration, then exit
  version                    print the version

Global flags (before or after the command):
  --config FILE   YAML configuration (see config.example.yaml); default: built in, following Post Mortem
  --db PATH       SQLite database file; default pmbot.db, or in memory with --feed
  --feed URL      follow this feed (URL, file:// URL or path) instead of the configured ones; repeatable
  --log-level L   debug, info, warn or error
`

// cli is the parsed command line.
type cli struct {
	configPath string
	db         string
	feeds      []string
	json       bool
	once       bool
	limit      int
	since      string
	logLevel   string
	command    string
	args       []string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// parseArgs reads flags wherever they stand, before or after the command and its
// arguments, so `pmbot --feed f.xml episode 3` and `pmbot episode 3 --feed f.xml` agree.
func parseArgs(args []string, stderr io.Writer) (cli, error) {
	var c cli
	fs := flag.NewFlagSet("pmbot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.configPath, "config", "", "")
	fs.StringVar(&c.db, "db", "", "")
	fs.Var((*multiFlag)(&c.feeds), "feed", "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.BoolVar(&c.once, "once", false, "")
	fs.IntVar(&c.limit, "limit", 10, "")
	fs.StringVar(&c.since, "since", "", "")
	fs.StringVar(&c.logLevel, "log-level", "", "")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return cli{command: "help"}, nil
			}
			return cli{}, err
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
	if len(positional) == 0 {
		c.command = "run"
	} else {
		c.command, c.args = positional[0], positional[1:]
	}
	return c, nil
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env []string) int {
	c, err := parseArgs(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pmbot: %v\n%s", err, usage)
		return 2
	}
	cmd, ok := cliCommands[c.command]
	if _, isQuery := queries[c.command]; isQuery {
		cmd, ok = runQuery, true
	}
	if !ok {
		fmt.Fprintf(stderr, "pmbot: unknown command %q\n%s", c.command, usage)
		return 2
	}
	if err := cmd(ctx, c, stdin, stdout, stderr, env); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "pmbot: %v\n", err)
			return 2
		}
		var ce *config.Error
		if errors.As(err, &ce) {
			// A configuration may have several problems: one line each, so the admin
			// fixes them all in one go.
			for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
				fmt.Fprintf(stderr, "pmbot: %s\n", strings.TrimSpace(line))
			}
			return 1
		}
		fmt.Fprintf(stderr, "pmbot: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type commandFunc func(ctx context.Context, c cli, stdin io.Reader, stdout, stderr io.Writer, env []string) error

var cliCommands = map[string]commandFunc{
	"run":          cmdRun,
	"poll":         cmdPoll,
	"check-config": cmdCheckConfig,
	"version":      cmdVersion,
	"help": func(_ context.Context, _ cli, _ io.Reader, stdout, _ io.Writer, _ []string) error {
		_, err := io.WriteString(stdout, usage)
		return err
	},
}

// oneLine folds a multi-line error so stderr gets one clear line per problem group.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
