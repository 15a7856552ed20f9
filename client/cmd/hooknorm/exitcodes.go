package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/grpc/codes"
)

// Exit codes of the hooknorm command, the same for every command (see exitCodes).
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
	exitUndelivered = 4
	exitInterrupted = 130
)

// exitCodes is the table of exit codes that --help and docs/cli.md print.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success: the command did all it was asked"},
	{exitFailed, "hooknormd refused the request (token, scope, stream limit) or failed, or a file could not be written"},
	{exitUsage, "the command line or its input is invalid (a flag, a file, a body or cursor hooknormd refused)"},
	{exitUnreachable, "hooknormd could not be reached (normalize, send; tail, forward and replay retry instead)"},
	{exitUndelivered, "forward or replay stopped at an event the endpoint refused --max-attempts times, without --dead-letter"},
	{exitInterrupted, "interrupted (Ctrl-C, SIGTERM) before the command finished; tail and forward always end so"},
}

// exitCodeTable is exitCodes as an indented plain-text table, for --help.
func exitCodeTable() string {
	var b strings.Builder
	for _, row := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", row.code, row.meaning)
	}
	return b.String()
}

// usageError marks an error in the command line or its input (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// unreachableError is a hooknormd that could not be reached (exit code 3).
type unreachableError struct{ msg string }

func (e unreachableError) Error() string { return e.msg }

// undeliveredError is an event the endpoint refused for good, with nowhere to set it aside
// (exit code 4).
type undeliveredError struct{ msg string }

func (e undeliveredError) Error() string { return e.msg }

// interruptedError is a command stopped by Ctrl-C or SIGTERM (exit code 130); its message says
// how far it got and how to resume.
type interruptedError struct{ msg string }

func (e interruptedError) Error() string { return e.msg }

// exitCode is the exit code for the error a command ended with, by the table; ctx is the
// command's context, whose end means an interruption.
func exitCode(ctx context.Context, err error) int {
	var clientErr *client.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, new(interruptedError)), ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, new(usageError)):
		return exitUsage
	case errors.As(err, new(unreachableError)):
		return exitUnreachable
	case errors.As(err, new(undeliveredError)):
		return exitUndelivered
	case errors.As(err, &clientErr):
		return refusalExitCode(clientErr)
	default:
		return exitFailed
	}
}

// refusalExitCode is the exit code of an error hooknormd answered with: its input reasons (a body,
// a cursor, an argument) are the caller's input; its refusals of the caller and its failures are
// not.
func refusalExitCode(err *client.Error) int {
	if err.Unreachable() {
		return exitUnreachable
	}
	if err.Reason == hooknormv1.ErrorReason_ERROR_REASON_PAYLOAD_TOO_LARGE || err.Reason == hooknormv1.ErrorReason_ERROR_REASON_NESTING_TOO_DEEP {
		return exitUsage
	}
	switch err.Status.Code() {
	case codes.InvalidArgument, codes.OutOfRange:
		return exitUsage
	}
	return exitFailed
}
