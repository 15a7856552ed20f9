package config

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
)

// flagError turns what the flag package says of a bad command line into one line that names the
// flag, says what it takes (never the parser's words), offers the closest valid flag for a
// mistyped one, and points at --help. The flag package reports by message only; its messages
// have been the same since Go 1.
func flagError(fs *flag.FlagSet, err error) error {
	const help = "see hooknormd --help"
	text := err.Error()
	if name, ok := strings.CutPrefix(text, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		if suggestion := closestFlag(fs, name); suggestion != "" {
			return fmt.Errorf("unknown flag --%s: did you mean --%s? (%s)", name, suggestion, help)
		}
		return fmt.Errorf("unknown flag --%s (%s)", name, help)
	}
	if name, ok := strings.CutPrefix(text, "flag needs an argument: "); ok {
		name = strings.TrimLeft(name, "-")
		if f := fs.Lookup(name); f != nil {
			return fmt.Errorf("--%s needs a value: %s (%s)", name, accepted(f), help)
		}
	}
	if rest, ok := strings.CutPrefix(text, "invalid boolean value "); ok {
		if i := strings.Index(rest, " for -"); i >= 0 {
			name, _, _ := strings.Cut(rest[i+len(" for -"):], ":")
			if f := fs.Lookup(name); f != nil {
				return invalidValue(f, "--"+name+" ("+EnvName(name)+")", rest[:i])
			}
		}
	}
	if rest, ok := strings.CutPrefix(text, "invalid value "); ok {
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			value := rest[:i]
			name, _, _ := strings.Cut(rest[i+len(" for flag -"):], ":")
			if f := fs.Lookup(name); f != nil {
				return invalidValue(f, "--"+name+" ("+EnvName(name)+")", value)
			}
		}
	}
	if strings.HasPrefix(text, "bad flag syntax: ") {
		return fmt.Errorf("%s is not a flag: flags are written --name or --name=value (%s)",
			strings.TrimPrefix(text, "bad flag syntax: "), help)
	}
	return fmt.Errorf("%v (%s)", err, help)
}

// invalidValue refuses value for f, where is how the setting was given (a flag or a variable).
// value is already quoted.
func invalidValue(f *flag.Flag, where, value string) error {
	return fmt.Errorf("%s does not accept %s: it takes %s", where, value, accepted(f))
}

// accepted says what values a flag takes, by its type.
func accepted(f *flag.Flag) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "true or false"
	}
	if getter, ok := f.Value.(flag.Getter); ok {
		switch getter.Get().(type) {
		case int, int64:
			return "a whole number"
		case uint, uint64:
			return "a whole number, 0 or more"
		case time.Duration:
			return "a duration such as 30s, 5m or 48h"
		}
	}
	if f.Name == "log-level" {
		return "debug, info, warn or error"
	}
	return f.Usage
}

// closestFlag returns the defined flag nearest to name, if one is near enough to be a typo.
func closestFlag(fs *flag.FlagSet, name string) string {
	best, bestDistance := "", len(name)/3+2
	fs.VisitAll(func(f *flag.Flag) {
		if d := levenshtein.ComputeDistance(name, f.Name); d < bestDistance {
			best, bestDistance = f.Name, d
		}
	})
	return best
}
