// Command hooknorm is the command-line client of hooknorm. Run `hooknorm --help` for its commands.
//
// Exit codes: 0 success; 1 hooknorm refused the request or could not be reached; 2 the command
// line or its input is invalid.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of the hooknorm command.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	serverEnv  = "HOOKNORM_SERVER"
	tokenEnv   = "HOOKNORM_TOKEN"
	httpEnv    = "HOOKNORM_HTTP"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// usageError marks an error in the command line or its input (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runContext(context.Background(), args, stdin, stdout, stderr, getenv)
}

// runContext is run until ctx ends (Ctrl-C).
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCommand(stdin, getenv)
	root.SetContext(ctx)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, new(usageError)):
		report(stderr, err)
		return exitUsage
	default:
		report(stderr, err)
		return exitFailed
	}
}

// report writes err on stderr after "hooknorm: ", once: the client package's errors already start
// with it.
func report(stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "hooknorm: %s\n", strings.TrimPrefix(err.Error(), "hooknorm: "))
}

func newRootCommand(stdin io.Reader, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "hooknorm",
		Short: "Talk to hooknormd: turn ClickFunnels and Webflow webhooks into typed events",
		Long: `hooknorm is the command-line client of hooknormd, the service that turns ClickFunnels and
Webflow webhooks into typed Protobuf events.

Exit codes: 0 success; 1 hooknorm refused the request or could not be reached;
2 the command line or its input is invalid.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	conn := addConnectionFlags(root, getenv)
	root.AddCommand(newNormalizeCommand(stdin, conn), newSendCommand(stdin, getenv), newTailCommand(conn), newForwardCommand(conn), newReplayCommand(conn), newTypesCommand())
	return root
}
