package config

import (
	"flag"
	"io"
)

// Setting is one of hooknormd's flags as --help and the reference documentation describe it.
type Setting struct {
	// Flag is the flag's name without its dashes, for example "grpc-addr".
	Flag string
	// Env is the environment variable that sets it too, for example HOOKNORM_GRPC_ADDR; empty for
	// --version, which is a command rather than a setting.
	Env string
	// Default is the default value as --help prints it; empty when the setting is unset by default.
	Default string
	// Usage says what the flag does.
	Usage string
}

// Settings lists every flag hooknormd takes, in name order, as --help lists them.
func Settings() []Setting {
	var cfg Config
	var raw rawFlags
	var settings []Setting
	flagSet(&cfg, &raw, io.Discard).VisitAll(func(f *flag.Flag) {
		s := Setting{Flag: f.Name, Env: EnvName(f.Name), Default: f.DefValue, Usage: f.Usage}
		if f.Name == "version" {
			s.Env, s.Default = "", ""
		}
		settings = append(settings, s)
	})
	return settings
}
