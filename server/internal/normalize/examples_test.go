package normalize_test

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/normalize"
)

// examplesDir holds the sample deliveries the README's tour sends.
const examplesDir = "../../../examples/deliveries"

// TestExamplesBecomeTheCaseTheyAreNamedAfter converts every sample delivery under
// examples/deliveries and checks it becomes the oneof case its file is named after, so the tour
// and the examples' README cannot drift from what hooknorm does. A file's directory says how it is
// delivered: clickfunnels/ is a ClickFunnels body, webflow/ a Webflow API v2 envelope, and
// webflow/v1/ a Webflow API v1 bare body whose trigger type is the file's name. Each file is
// listed in examples/README.md too.
func TestExamplesBecomeTheCaseTheyAreNamedAfter(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(examplesDir, "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := newNormalizer(t)
	count := 0
	err = filepath.WalkDir(examplesDir, func(file string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		rel, err := filepath.Rel(examplesDir, file)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		count++
		t.Run(rel, func(t *testing.T) {
			if path.Ext(rel) != ".json" {
				t.Fatalf("examples/deliveries/%s is not a .json delivery", rel)
			}
			if !strings.Contains(string(readme), "deliveries/"+rel) {
				t.Errorf("examples/README.md does not list deliveries/%s", rel)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimSuffix(path.Base(rel), ".json")
			d := normalize.Delivery{Body: body, ReceivedAt: receivedAt}
			var provider string
			switch dir := path.Dir(rel); dir {
			case "clickfunnels":
				d.Source, provider = hooknormv1.Source_SOURCE_CLICKFUNNELS, "clickfunnels"
			case "webflow":
				d.Source, provider = hooknormv1.Source_SOURCE_WEBFLOW, "webflow"
			case "webflow/v1":
				d.Source, provider, d.TriggerType = hooknormv1.Source_SOURCE_WEBFLOW, "webflow", name
			default:
				t.Fatalf("examples/deliveries/%s is in %s/, which says nothing of how it is delivered: use clickfunnels/, webflow/ or webflow/v1/", rel, dir)
			}
			event, err := n.Normalize(d)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if got, want := caseOf(event), provider+"."+name; got != want {
				t.Errorf("becomes %s, but its name says %s", got, want)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count < 10 {
		t.Errorf("only %d sample deliveries under examples/deliveries", count)
	}
}

// caseOf names an event's oneof case with its provider, as in clickfunnels.order_completed.
func caseOf(event *hooknormv1.Event) string {
	payload := event.ProtoReflect()
	which := payload.WhichOneof(payload.Descriptor().Oneofs().ByName("payload"))
	if which == nil {
		return "no payload"
	}
	inner := payload.Get(which).Message()
	fd := inner.WhichOneof(inner.Descriptor().Oneofs().ByName("event"))
	if fd == nil {
		return string(which.Name()) + ".(none)"
	}
	return string(which.Name()) + "." + string(fd.Name())
}
