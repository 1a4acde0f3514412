package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestFlagsLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "airgap.yaml")
	if err := os.WriteFile(file, []byte("mirror: file.example.com/m\nrules:\n- {from: quay.io, to: file.example.com/quay}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		env        string
		wantMirror string
		wantRule   string // destination of the quay.io rule
		wantErr    string
	}{
		{"file from --config", []string{"--config", file}, "", "file.example.com/m", "file.example.com/quay", ""},
		{"file from the environment", nil, file, "file.example.com/m", "file.example.com/quay", ""},
		{"flags override the file", []string{"--config", file, "--mirror", "flag.example.com/m", "--rule", "quay.io=flag.example.com/q"}, "", "flag.example.com/m", "flag.example.com/q", ""},
		{"no file at all", []string{"--mirror", "flag.example.com/m"}, "", "flag.example.com/m", "", ""},
		{"bad rule flag", []string{"--rule", "quay.io"}, "", "", "", "--rule"},
		{"invalid configuration", []string{"--mirror", "docker.io/x"}, "", "", "", "invalid configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ConfigEnv, tt.env)
			var f Flags
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			f.Add(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, mapper, err := f.Load()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if mapper.Mirror() != tt.wantMirror {
				t.Errorf("mirror = %q, want %q", mapper.Mirror(), tt.wantMirror)
			}
			got := ""
			for _, r := range cfg.Rules {
				if r.From == "quay.io" {
					got = r.To
				}
			}
			if got != tt.wantRule {
				t.Errorf("quay.io rule to %q, want %q", got, tt.wantRule)
			}
			if opts := f.EngineOptions(cfg, mapper); opts.Mapper != mapper || len(opts.Catalogue.AllImageFields()) == 0 {
				t.Errorf("engine options %+v lack the mapper or the built-in image fields", opts)
			}
		})
	}
}
