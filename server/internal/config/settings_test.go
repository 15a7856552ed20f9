package config_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/config"
)

// TestSettingsAreTheFlagsHelpLists checks that Settings, which the reference documentation is
// generated from, describes exactly the flags --help lists, each with its variable, default and
// description.
func TestSettingsAreTheFlagsHelpLists(t *testing.T) {
	var help bytes.Buffer
	if _, err := config.Load([]string{"--help"}, func(string) string { return "" }, &help); !errors.Is(err, config.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	settings := config.Settings()
	if got, want := len(settings), strings.Count(help.String(), "\n  --"); got != want {
		t.Errorf("Settings has %d flags, --help lists %d", got, want)
	}
	for _, s := range settings {
		entry := "  --" + s.Flag
		if s.Env != "" {
			entry += " (" + s.Env + ")"
		}
		if !strings.Contains(help.String(), entry+"\n") {
			t.Errorf("--help has no entry %q", entry)
		}
		if !strings.Contains(help.String(), s.Usage) {
			t.Errorf("--help does not describe --%s as %q", s.Flag, s.Usage)
		}
		if s.Flag == "version" {
			if s.Env != "" || s.Default != "" {
				t.Errorf("--version is a command, yet has variable %q and default %q", s.Env, s.Default)
			}
			continue
		}
		if s.Env != config.EnvName(s.Flag) {
			t.Errorf("--%s: variable %q, want %q", s.Flag, s.Env, config.EnvName(s.Flag))
		}
	}
}

// TestSettingsDefaultsAreLoaded checks the defaults Settings reports against what Load uses when
// nothing is set.
func TestSettingsDefaultsAreLoaded(t *testing.T) {
	cfg, err := config.Load(nil, func(string) string { return "" }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]string{
		"grpc-addr":      cfg.GRPCAddr,
		"http-addr":      cfg.HTTPAddr,
		"data-dir":       cfg.DataDir,
		"max-body-bytes": strconv.FormatInt(cfg.MaxBodyBytes, 10),
		"retention-age":  cfg.RetentionAge.String(),
		"fsync":          cfg.Fsync,
		"log-level":      cfg.LogLevel.String(),
	}
	for _, s := range config.Settings() {
		if value, ok := loaded[s.Flag]; ok {
			if !strings.EqualFold(s.Default, value) { // log-level prints as INFO, which it also accepts
				t.Errorf("--%s: Settings says the default is %q, Load uses %q", s.Flag, s.Default, value)
			}
			delete(loaded, s.Flag)
		}
	}
	for name := range loaded {
		t.Errorf("Settings has no --%s", name)
	}
}
