package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/cli.md")

// cliDoc is the page documenting the command line, from this package's directory.
var cliDoc = filepath.Join("..", "..", "..", "docs", "cli.md")

// TestCLIDocIsCurrent checks the generated parts of docs/cli.md, the exit-code table and the
// flags of every command, against the command itself; -update rewrites them. It also checks that
// every command has a section of its own.
func TestCLIDocIsCurrent(t *testing.T) {
	data, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	root, _ := newRootCommand(strings.NewReader(""), func(string) string { return "" })
	for name, body := range map[string]string{"exit-codes": exitCodesMarkdown(), "flags": flagsMarkdown(root)} {
		var ok bool
		if doc, ok = replaceRegion(doc, name, body); !ok {
			t.Fatalf("docs/cli.md has no region <!-- generated:%s --> ... <!-- end:%s -->", name, name)
		}
	}
	for _, cmd := range root.Commands() {
		if cmd.IsAvailableCommand() && cmd.Name() != "completion" && !strings.Contains(doc, "\n## hooknorm "+cmd.Name()+"\n") {
			t.Errorf("docs/cli.md has no section \"## hooknorm %s\"", cmd.Name())
		}
	}
	if *update {
		if err := os.WriteFile(cliDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != string(data) {
		t.Errorf("docs/cli.md is out of date: run go test ./client/cmd/hooknorm -run TestCLIDocIsCurrent -update")
	}
}

// replaceRegion replaces what lies between <!-- generated:name --> and <!-- end:name -->.
func replaceRegion(doc, name, body string) (string, bool) {
	begin, end := "<!-- generated:"+name+" -->\n", "<!-- end:"+name+" -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		return doc, false
	}
	return doc[:i+len(begin)] + body + doc[j:], true
}

func exitCodesMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | meaning |\n| ---: | --- |\n")
	for _, row := range exitCodes {
		fmt.Fprintf(&b, "| %d | %s |\n", row.code, row.meaning)
	}
	return b.String()
}

// flagsMarkdown is a table of the flags every command shares, then one of each command's own.
func flagsMarkdown(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("### Flags of every command\n\n")
	writeFlags(&b, root.PersistentFlags())
	for _, cmd := range root.Commands() {
		if !cmd.IsAvailableCommand() || cmd.Name() == "completion" {
			continue
		}
		fmt.Fprintf(&b, "\n### hooknorm %s\n\n", cmd.Name())
		local := cmd.LocalNonPersistentFlags()
		if !local.HasAvailableFlags() || (local.NFlag() == 0 && onlyHelp(local)) {
			b.WriteString("No flags of its own.\n")
			continue
		}
		writeFlags(&b, local)
	}
	return b.String()
}

// onlyHelp reports whether the set holds no flag but --help.
func onlyHelp(flags *pflag.FlagSet) bool {
	only := true
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			only = false
		}
	})
	return only
}

func writeFlags(b *strings.Builder, flags *pflag.FlagSet) {
	b.WriteString("| flag | default | what it does |\n| --- | --- | --- |\n")
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "--" + f.Name
		if f.Value.Type() != "bool" {
			name += " " + strings.ReplaceAll(valueName(f), "|", `\|`)
		}
		name = "`" + name + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" {
			def = "`" + f.DefValue + "`"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, def, strings.ReplaceAll(f.Usage, "|", `\|`))
	})
}

// valueName is how a flag's value is written in the table.
func valueName(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "uint64", "int":
		return "N"
	}
	if name, ok := valueNames[f.Name]; ok {
		return name
	}
	return strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
}

// valueNames name the values of flags whose name does not say what they hold.
var valueNames = map[string]string{
	"server": "HOST:PORT", "http": "URL", "to": "URL",
	"tls-ca": "FILE", "tls-cert": "FILE", "tls-key": "FILE", "cursor-file": "FILE", "dead-letter": "FILE",
	"since": "DURATION|TIME", "output": "json|text", "format": "cloudevents|event-json", "mode": "binary|structured",
}
