package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError turns a flag parsing error into one line that names the flag, says what is wrong
// with it in the command line's terms (never the parser's), offers the closest valid flag for a
// mistyped one, and points at the command's help.
func flagError(cmd *cobra.Command, err error) error {
	help := fmt.Sprintf("see %s --help", cmd.CommandPath())
	var (
		notExist *pflag.NotExistError
		noValue  *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &notExist):
		given := notExist.GetSpecifiedName()
		if shorthands := notExist.GetSpecifiedShortnames(); shorthands != "" {
			if shorthands == given {
				return usagef("unknown flag -%s (%s)", given, help)
			}
			return usagef("unknown flag -%s in -%s (%s)", given, shorthands, help)
		}
		if suggestion := closestFlag(cmd, given); suggestion != "" {
			return usagef("unknown flag --%s: did you mean --%s? (%s)", given, suggestion, help)
		}
		return usagef("unknown flag --%s (%s)", given, help)
	case errors.As(err, &noValue):
		flag := noValue.GetFlag()
		return usagef("--%s needs a value: %s (%s)", flag.Name, flag.Usage, help)
	case errors.As(err, &invalid):
		flag := invalid.GetFlag()
		return usagef("--%s does not accept %q: it takes %s (%s)", flag.Name, invalid.GetValue(), accepted(flag), help)
	case errors.As(err, &syntax):
		return usagef("%s is not a flag: flags are written --name or --name=value (%s)", syntax.GetSpecifiedFlag(), help)
	}
	return usagef("%v (%s)", err, help)
}

// accepted says what values a flag takes, by its type.
func accepted(flag *pflag.Flag) string {
	switch flag.Value.Type() {
	case "bool":
		return "no value, or =true or =false"
	case "uint64", "uint", "uint32":
		return "a whole number, 0 or more"
	case "int", "int64", "int32":
		return "a whole number"
	case "duration":
		return "a duration such as 30s, 5m or 1h"
	case "stringSlice":
		return "a list of values separated by commas, or the flag repeated"
	}
	return "a different value: " + flag.Usage
}

// closestFlag is the flag of cmd (its own or inherited) that given most likely meant, or "".
func closestFlag(cmd *cobra.Command, given string) string {
	var names []string
	collect := func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	}
	cmd.LocalFlags().VisitAll(collect)
	cmd.InheritedFlags().VisitAll(collect)
	return closest(given, names)
}

// closest is the name given most likely meant: one that starts with it, or the nearest by edit
// distance when that is small (at most 2, or a third of the name); "" when none is close.
func closest(given string, names []string) string {
	best, bestDistance := "", 0
	for _, name := range names {
		d := levenshtein.ComputeDistance(given, name)
		if len(given) >= 2 && strings.HasPrefix(name, given) {
			d = 0
		}
		if d <= max(2, len(name)/3) && (best == "" || d < bestDistance) {
			best, bestDistance = name, d
		}
	}
	return best
}

// unknownCommand refuses arguments to the root command, which takes none: the closest command,
// when one is close, and the help to read.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	if suggestion := closest(args[0], names); suggestion != "" {
		return usagef("unknown command %q: did you mean %q? (see hooknorm --help)", args[0], suggestion)
	}
	return usagef("unknown command %q (see hooknorm --help for the commands)", args[0])
}

// noArgs refuses arguments to a command that takes only flags.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, only flags; got %q (see %s --help)", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
}
