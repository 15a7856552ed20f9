package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hooknorm/hooknorm/server/internal/config"
	"go.yaml.in/yaml/v3"
)

// The deployment files live at the top of the repository. No container runtime works on the
// machines the tests run on, so these tests read them instead: the image's defaults and the
// compose file's settings are hooknormd's own, and say what they promise.
var (
	dockerfilePath = filepath.Join("..", "..", "..", "Dockerfile")
	composePath    = filepath.Join("..", "..", "..", "compose.yaml")
	goModPath      = filepath.Join("..", "..", "..", "go.mod")
)

// dockerfile is what the tests read from the Dockerfile's instructions.
type dockerfile struct {
	args    map[string]string // ARG name=default
	env     map[string]string // ENV name=value, one per instruction
	expose  []string
	user    string
	volumes []string
	text    string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	d := dockerfile{args: map[string]string{}, env: map[string]string{}, text: string(data)}
	for _, line := range strings.Split(d.text, "\n") {
		instruction, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch instruction {
		case "ARG":
			name, value, _ := strings.Cut(rest, "=")
			d.args[name] = value
		case "ENV":
			name, value, ok := strings.Cut(rest, "=")
			if !ok || strings.ContainsAny(value, " \\") {
				t.Fatalf("Dockerfile: %q: write one name=value per ENV, which these tests read", line)
			}
			d.env[name] = value
		case "EXPOSE":
			d.expose = strings.Fields(rest)
		case "USER":
			d.user = rest
		case "VOLUME":
			d.volumes = strings.Fields(strings.Trim(strings.ReplaceAll(rest, `"`, ""), "[]"))
		}
	}
	return d
}

// compose is the part of compose.yaml the tests read.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       string            `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		DependsOn   map[string]any    `yaml:"depends_on"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func readCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// getenvOf looks variables up in the given sets, the later winning.
func getenvOf(sets ...map[string]string) func(string) string {
	return func(name string) string {
		value := ""
		for _, set := range sets {
			if v, ok := set[name]; ok {
				value = v
			}
		}
		return value
	}
}

// TestImageDefaultsAreHonest reads the Dockerfile: the image builds with the Go of go.mod and the
// script CI builds and checks, runs as an unprivileged user, listens on the ports it exposes and
// keeps its log in its volume. Run as it is, it refuses to start (exit 2), naming what to set,
// since it listens beyond loopback with no tokens and no secrets; given both, or told to go
// without, its settings are valid.
func TestImageDefaultsAreHonest(t *testing.T) {
	d := readDockerfile(t)
	goMod, err := os.ReadFile(goModPath)
	if err != nil {
		t.Fatal(err)
	}
	var goLine string
	for _, line := range strings.Split(string(goMod), "\n") {
		if version, ok := strings.CutPrefix(line, "go "); ok {
			goLine = strings.TrimSpace(version)
		}
	}
	if d.args["GO_VERSION"] != goLine {
		t.Errorf("the Dockerfile builds with Go %q, go.mod says go %s", d.args["GO_VERSION"], goLine)
	}
	if !strings.Contains(d.text, "scripts/build-static.sh /out") {
		t.Error("the Dockerfile does not build hooknormd with scripts/build-static.sh, which .ci/run builds and checks")
	}
	if d.user == "" || strings.HasPrefix(d.user, "0") || strings.HasPrefix(d.user, "root") {
		t.Errorf("the image runs as %q, want an unprivileged user", d.user)
	}
	cfg, err := config.Load(nil, getenvOf(d.env), new(bytes.Buffer))
	if err != nil {
		t.Fatalf("the image's settings are invalid: %v", err)
	}
	for _, addr := range []string{cfg.HTTPAddr, cfg.GRPCAddr} {
		if _, port, _ := strings.Cut(addr, ":"); !slices.Contains(d.expose, port) || !strings.HasPrefix(addr, "0.0.0.0:") {
			t.Errorf("the image listens on %s, want every interface and a port it exposes (%v)", addr, d.expose)
		}
	}
	if !slices.Contains(d.volumes, cfg.DataDir) {
		t.Errorf("the image keeps its log in %s, not in its volume %v", cfg.DataDir, d.volumes)
	}

	refusals := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"as built", nil, []string{"HOOKNORM_CLICKFUNNELS_SECRET", "HOOKNORM_WEBFLOW_SECRET", "HOOKNORM_ALLOW_UNSIGNED=true"}},
		{"with secrets, without tokens", map[string]string{"HOOKNORM_CLICKFUNNELS_SECRET": "cf", "HOOKNORM_WEBFLOW_SECRET": "wf"},
			[]string{"HOOKNORM_TOKENS_FILE", "HOOKNORM_ALLOW_ANONYMOUS=true"}},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(nil, getenvOf(d.env, c.env), &stderr); code != 2 {
				t.Fatalf("hooknormd with the image's settings exited %d, want 2; it said:\n%s", code, &stderr)
			}
			for _, want := range c.wantErr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("hooknormd with the image's settings said %q, which does not name %s", stderr.String(), want)
				}
			}
		})
	}
}

// TestComposeRunsAClusterOfTwoReplicas reads compose.yaml: three NATS servers with JetStream,
// each routed to the other two in one cluster, and two hooknormd replicas built from the
// Dockerfile, both keeping the log in three copies on all three servers, each published on its own
// loopback ports. Their settings, on top of the image's, are valid hooknormd settings.
func TestComposeRunsAClusterOfTwoReplicas(t *testing.T) {
	c := readCompose(t)
	d := readDockerfile(t)
	var natsServers, replicas []string
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		switch service := c.Services[name]; {
		case strings.HasPrefix(service.Image, "nats:"):
			natsServers = append(natsServers, name)
		case service.Build == ".":
			replicas = append(replicas, name)
		default:
			t.Errorf("service %s is neither NATS nor hooknormd", name)
		}
	}
	if len(natsServers) != 3 || len(replicas) != 2 {
		t.Fatalf("NATS servers %v and hooknormd replicas %v, want 3 and 2", natsServers, replicas)
	}

	var clientURLs []string
	for _, name := range natsServers {
		flags := flagValues(c.Services[name].Command)
		if _, js := flags["--jetstream"]; !js || flags["--name"] != name || flags["--cluster_name"] != "hooknorm" || flags["--store_dir"] == "" {
			t.Errorf("%s runs %v, want --jetstream, --name %s, --cluster_name hooknorm and a --store_dir", name, c.Services[name].Command, name)
		}
		var wantRoutes []string
		for _, other := range natsServers {
			if other != name {
				wantRoutes = append(wantRoutes, fmt.Sprintf("nats://%s:6222", other))
			}
		}
		if got := flags["--routes"]; got != strings.Join(wantRoutes, ",") || flags["--cluster"] != "nats://0.0.0.0:6222" {
			t.Errorf("%s is routed to %q on cluster %q, want %q on nats://0.0.0.0:6222", name, got, flags["--cluster"], strings.Join(wantRoutes, ","))
		}
		if volume, _, _ := strings.Cut(strings.Join(c.Services[name].Volumes, ""), ":"); c.Volumes == nil || !hasKey(c.Volumes, volume) {
			t.Errorf("%s keeps its store in %v, not in a named volume", name, c.Services[name].Volumes)
		}
		clientURLs = append(clientURLs, fmt.Sprintf("nats://%s:4222", name))
	}

	published := map[string]bool{}
	for _, name := range replicas {
		service := c.Services[name]
		cfg, err := config.Load(nil, getenvOf(d.env, service.Environment), new(bytes.Buffer))
		if err != nil {
			t.Errorf("%s's settings are invalid: %v", name, err)
			continue
		}
		if cfg.NATSURL != strings.Join(clientURLs, ",") || cfg.NATSReplicas != 3 {
			t.Errorf("%s keeps its log at %q in %d copies, want %q in 3", name, cfg.NATSURL, cfg.NATSReplicas, strings.Join(clientURLs, ","))
		}
		for _, server := range natsServers {
			if _, ok := service.DependsOn[server]; !ok {
				t.Errorf("%s does not wait for %s", name, server)
			}
		}
		for _, port := range service.Ports {
			if !strings.HasPrefix(port, "127.0.0.1:") || published[strings.Split(port, ":")[1]] {
				t.Errorf("%s publishes %s: its API is open (HOOKNORM_ALLOW_ANONYMOUS), so publish it on 127.0.0.1, on a port of its own", name, port)
			}
			published[strings.Split(port, ":")[1]] = true
		}
		if len(service.Ports) != 2 {
			t.Errorf("%s publishes %v, want its HTTP and gRPC ports", name, service.Ports)
		}
	}
}

// flagValues reads a command of --flag value pairs; a flag followed by another has the value "".
func flagValues(command []string) map[string]string {
	flags := map[string]string{}
	for i := 0; i < len(command); i++ {
		if !strings.HasPrefix(command[i], "--") {
			continue
		}
		if i+1 < len(command) && !strings.HasPrefix(command[i+1], "--") {
			flags[command[i]] = command[i+1]
			i++
		} else {
			flags[command[i]] = ""
		}
	}
	return flags
}

func hasKey(m map[string]any, key string) bool {
	_, ok := m[key]
	return ok
}
