package refdocs

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protoSource is the schema as written in proto/, compiled with its comments, which the
// generated Go code does not keep.
type protoSource struct {
	files linker.Files
}

// loadProtoSource compiles every .proto file under dir.
func loadProtoSource(dir string) (*protoSource, error) {
	var names []string
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() || filepath.Ext(path) != ".proto" {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing the protos (run from the repository root): %w", err)
	}
	compiler := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: []string{dir}}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := compiler.Compile(context.Background(), names...)
	if err != nil {
		return nil, fmt.Errorf("compiling the protos under %s: %w", dir, err)
	}
	return &protoSource{files: files}, nil
}

// comment returns the leading comment of the schema element called name, on one line.
func (s *protoSource) comment(name protoreflect.FullName) (string, error) {
	d, err := s.files.AsResolver().FindDescriptorByName(name)
	if err != nil {
		return "", fmt.Errorf("%s is not in proto/: %w (regenerate gen/ after changing a .proto)", name, err)
	}
	text := strings.Join(strings.Fields(d.ParentFile().SourceLocations().ByDescriptor(d).LeadingComments), " ")
	if text == "" {
		return "", fmt.Errorf("%s has no comment in proto/: every element's comment says what it is for", name)
	}
	return text, nil
}
