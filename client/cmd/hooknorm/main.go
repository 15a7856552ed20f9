// Command hooknorm is the command-line client of hooknorm. Run `hooknorm --help` for its commands
// and the table of its exit codes, the same for every command (see exitcodes.go).
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

	"github.com/hooknorm/hooknorm/internal/buildinfo"
	"github.com/spf13/cobra"
)

// The environment variables the CLI reads its connection settings from.
const (
	serverEnv = "HOOKNORM_SERVER"
	tokenEnv  = "HOOKNORM_TOKEN"
	httpEnv   = "HOOKNORM_HTTP"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return runContext(context.Background(), args, stdin, stdout, stderr, getenv)
}

// runContext is run until ctx ends (Ctrl-C). Whatever ends the command is said on stderr, in
// the command line's terms, and sets the exit code by the table.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root, conn := newRootCommand(stdin, getenv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil && !errors.As(err, new(interruptedError)) {
		err = interruptedError{"interrupted before the command finished"} // a call cut short by Ctrl-C
	}
	if err != nil {
		report(stderr, conn.explain(err))
	}
	return exitCode(ctx, err)
}

// report writes err on stderr after "hooknorm: ", once: the client package's errors already start
// with it.
func report(stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "hooknorm: %s\n", strings.TrimPrefix(err.Error(), "hooknorm: "))
}

func newRootCommand(stdin io.Reader, getenv func(string) string) (*cobra.Command, *connection) {
	root := &cobra.Command{
		Use:   "hooknorm",
		Short: "Talk to hooknormd: turn ClickFunnels and Webflow webhooks into typed events",
		Long: `hooknorm is the command-line client of hooknormd, the service that turns ClickFunnels and
Webflow webhooks into typed Protobuf events. See docs/cli.md for every command with examples.

Exit codes, the same for every command:
` + exitCodeTable(),
		Version:       buildinfo.Read().Text("hooknorm"),
		Args:          unknownCommand,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}")
	root.Flags().BoolP("version", "v", false, "print hooknorm's version and the commit it was built from")
	root.SetFlagErrorFunc(flagError)
	conn := addConnectionFlags(root, getenv)
	root.AddCommand(newNormalizeCommand(stdin, conn), newSendCommand(stdin, getenv), newTailCommand(conn), newForwardCommand(conn),
		newReplayCommand(conn), newTypesCommand(), newConsumersCommand(conn))
	root.AddCommand(newBackfillCommand(conn, getenv), newConnectCommand(getenv), newDisconnectCommand(getenv))
	return root, conn
}
