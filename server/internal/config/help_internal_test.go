package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
)

// TestHelpDocumentsEverySetting walks every flag hooknormd defines: --help lists each, with its
// environment variable, its description and its default.
func TestHelpDocumentsEverySetting(t *testing.T) {
	var help bytes.Buffer
	if _, err := Load([]string{"--help"}, func(string) string { return "" }, &help); !errors.Is(err, ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	entries := map[string]string{} // flag name -> its entry in --help
	for _, entry := range strings.Split(help.String(), "\n  --")[1:] {
		name, _, _ := strings.Cut(entry, " ")
		name, _, _ = strings.Cut(name, "\n")
		entries[name] = entry
	}
	var cfg Config
	var raw rawFlags
	fs := flagSet(&cfg, &raw, &bytes.Buffer{})
	count := 0
	fs.VisitAll(func(f *flag.Flag) {
		count++
		entry, ok := entries[f.Name]
		if !ok {
			t.Errorf("--help does not list --%s", f.Name)
			return
		}
		if f.Name == "version" {
			return // a command, not a setting: it has no variable
		}
		for _, want := range []string{"(" + EnvName(f.Name) + ")", fmt.Sprintf("(default %q)", f.DefValue), f.Usage} {
			if !strings.Contains(entry, want) {
				t.Errorf("--help on --%s does not say %s:\n%s", f.Name, want, entry)
			}
		}
	})
	if count != len(entries) {
		t.Errorf("--help has %d entries for %d flags", len(entries), count)
	}
	if count < 30 {
		t.Errorf("only %d flags were walked", count)
	}
}
