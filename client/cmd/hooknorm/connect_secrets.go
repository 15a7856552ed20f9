package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// secretsFileEnv is the variable that names hooknormd's secrets file, read by the commands that
// write or read it too.
const secretsFileEnv = "HOOKNORM_SECRETS_FILE"

// tenantEntry is one tenant's entry in hooknormd's secrets file (see docs/security.md).
type tenantEntry struct {
	Secrets  []string `json:"secrets,omitempty"`
	Unsigned bool     `json:"unsigned,omitempty"`
}

// secretsFile is hooknormd's secrets file: provider, then tenant, to the tenant's entry.
type secretsFile map[string]map[string]tenantEntry

// readSecretsFile reads the secrets file at path; a missing file is an empty one.
func readSecretsFile(path string) (secretsFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return secretsFile{}, nil
	}
	if err != nil {
		return nil, usagef("--secrets-file %s cannot be read: %s", path, fileProblem(err))
	}
	f := secretsFile{}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, usagef("--secrets-file %s is not a secrets file (JSON: {\"clickfunnels\": {\"<workspace>\": {\"secrets\": [...]}}}): %v", path, err)
	}
	return f, nil
}

// addSecret adds secret to the tenant's entry, after those it has, and reports whether it was
// new. A tenant marked unsigned becomes signed.
func (f secretsFile) addSecret(provider, tenant, secret string) bool {
	if f[provider] == nil {
		f[provider] = map[string]tenantEntry{}
	}
	entry := f[provider][tenant]
	if slices.Contains(entry.Secrets, secret) {
		return false
	}
	entry.Secrets, entry.Unsigned = append(entry.Secrets, secret), false
	f[provider][tenant] = entry
	return true
}

// remove removes the tenant's entry and reports whether there was one.
func (f secretsFile) remove(provider, tenant string) bool {
	if _, ok := f[provider][tenant]; !ok {
		return false
	}
	delete(f[provider], tenant)
	if len(f[provider]) == 0 {
		delete(f, provider)
	}
	return true
}

// write replaces the file at path with f, readable by its owner alone: it writes a temporary file
// beside it and renames it into place, so hooknormd never reads half a file.
func (f secretsFile) write(path string) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secrets-*.json")
	if err != nil {
		return fmt.Errorf("writing the secrets file %s: %s", path, fileProblem(err))
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(append(data, '\n'))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing the secrets file %s: %s", path, fileProblem(err))
	}
	return nil
}
