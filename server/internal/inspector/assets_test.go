package inspector_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/inspector"
)

// assetTexts returns every asset's text by name.
func assetTexts(t *testing.T) map[string]string {
	t.Helper()
	texts := map[string]string{}
	err := fs.WalkDir(inspector.Assets, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(inspector.Assets, path)
		texts[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return texts
}

// TestNoPayloadCanBecomeMarkup keeps the page from ever parsing text as HTML: webhook bodies are
// attacker-controlled, so every text goes in through text nodes.
func TestNoPayloadCanBecomeMarkup(t *testing.T) {
	forbidden := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "DOMParser", "createContextualFragment", "srcdoc"}
	for name, text := range assetTexts(t) {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, word := range forbidden {
			if strings.Contains(text, word) {
				t.Errorf("%s uses %s", name, word)
			}
		}
	}
}

// TestNothingIsLoadedFromElsewhere checks that the page needs no network but hooknormd's: no
// remote script, style, font or image, and no inline script or style, which the
// Content-Security-Policy would block anyway.
func TestNothingIsLoadedFromElsewhere(t *testing.T) {
	allowed := map[string]bool{
		"http://www.w3.org/2000/svg":  true, // the SVG namespace, not a request
		"http://localhost:3000/hooks": true, // the placeholder endpoint of the replay command
	}
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+[a-z0-9./:_-]*`)
	for name, text := range assetTexts(t) {
		for _, found := range url.FindAllString(text, -1) {
			if strings.HasPrefix(found, "//") || allowed[found] {
				continue // a comment
			}
			t.Errorf("%s names %s", name, found)
		}
	}
	page := assetTexts(t)["index.html"]
	for _, pattern := range []string{`<script(?:\s[^>]*)?>\s*[^<\s]`, `\sstyle=`, `<style`, `\son[a-z]+=`} {
		if regexp.MustCompile(pattern).MatchString(page) {
			t.Errorf("index.html has inline code or style (%s)", pattern)
		}
	}
}

// TestEveryReferenceResolves checks that each module the scripts import and each file the page
// names is an asset.
func TestEveryReferenceResolves(t *testing.T) {
	texts := assetTexts(t)
	refs := regexp.MustCompile(`(?:from |src=|href=)"\./?([a-z]+\.(?:js|css|svg))"`)
	found := 0
	for name, text := range texts {
		for _, m := range refs.FindAllStringSubmatch(text, -1) {
			found++
			if _, ok := texts[m[1]]; !ok {
				t.Errorf("%s refers to %s, which is no asset", name, m[1])
			}
		}
	}
	if found < 10 {
		t.Errorf("found %d references; the page and its modules make more", found)
	}
}
