// Package refdocs generates the parts of the reference documentation under docs/ that restate
// what the code and the schema already say: hooknormd's flags, the error reasons, the RPCs and
// their stream messages, the event envelope and every event type. Each such part sits in its page
// between two markers,
//
//	<!-- BEGIN GENERATED NAME: go run ./server/cmd/hooknorm-docs -->
//	...
//	<!-- END GENERATED NAME -->
//
// and the prose around it is written by hand. `go run ./server/cmd/hooknorm-docs` rewrites the
// parts; a test fails while any page differs from what it would write.
package refdocs

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Command is the command that regenerates the pages, run from the repository root.
const Command = "go run ./server/cmd/hooknorm-docs"

// section is one generated part of a page.
type section struct {
	// name is the marker's name, for example "flags".
	name string
	// render writes the part's Markdown from the schema and the code.
	render func(*protoSource) (string, error)
}

// pages are the generated parts of each page, by the page's path from the repository root.
var pages = map[string][]section{
	"docs/configuration.md": {{"flags", renderFlags}},
	"docs/api.md": {
		{"rpcs", renderRPCs},
		{"subscribe-request", renderMessageFields("hooknorm.v1.SubscribeRequest")},
		{"stream-messages", renderStreamMessages},
		{"heartbeat", renderMessageFields("hooknorm.v1.Heartbeat")},
		{"gap", renderMessageFields("hooknorm.v1.Gap")},
		{"error-body", renderMessageFields("hooknorm.v1.ErrorBody")},
		{"error-reasons", renderReasons},
	},
	"docs/events.md": {
		{"envelope", renderMessageFields("hooknorm.v1.Event")},
		{"clickfunnels-envelope", renderMessageFields("hooknorm.clickfunnels.v1.Event", "event")},
		{"clickfunnels-events", renderCases(clickfunnels)},
		{"webflow-envelope", renderMessageFields("hooknorm.webflow.v1.Event", "event")},
		{"webflow-events", renderCases(webflow)},
	},
}

// Pages lists the paths, from the repository root, of the pages that have generated parts, in
// order.
func Pages() []string {
	return slices.Sorted(maps.Keys(pages))
}

// Generate returns every page with generated parts as it should be: its text on disk under root
// (the repository root) with each generated part written anew.
func Generate(root string) (map[string][]byte, error) {
	source, err := loadProtoSource(filepath.Join(root, "proto"))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for path, sections := range pages {
		text, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		page := string(text)
		for _, s := range sections {
			body, err := s.render(source)
			if err != nil {
				return nil, fmt.Errorf("%s, part %q: %w", path, s.name, err)
			}
			if page, err = replaceSection(page, s.name, body); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
		out[path] = []byte(page)
	}
	return out, nil
}

// beginMarker and endMarker delimit the generated part called name.
func beginMarker(name string) string {
	return "<!-- BEGIN GENERATED " + name + ": " + Command + " -->"
}

func endMarker(name string) string { return "<!-- END GENERATED " + name + " -->" }

// replaceSection puts body between the markers of the part called name, which must each appear
// exactly once, on lines of their own, begin before end.
func replaceSection(page, name, body string) (string, error) {
	begin, end := beginMarker(name), endMarker(name)
	if n := strings.Count(page, begin+"\n"); n != 1 {
		return "", fmt.Errorf("the line %q must appear once, found %d times: add it where the generated part %q goes, followed by the line %q", begin, n, name, end)
	}
	if n := strings.Count(page, "\n"+end+"\n"); n != 1 {
		return "", fmt.Errorf("the line %q must appear once, after %q; found %d times", end, begin, n)
	}
	head, rest, _ := strings.Cut(page, begin+"\n")
	_, tail, found := strings.Cut(rest, end+"\n")
	if !found || strings.Contains(head, "\n"+end+"\n") {
		return "", fmt.Errorf("the line %q must come after %q", end, begin)
	}
	return head + begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end + "\n" + tail, nil
}
