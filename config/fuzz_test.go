package config

import (
	"os"
	"path/filepath"
	"testing"
)

// Parse must answer any input with a config or an error, never a panic or
// a hang: check-config is run on half-edited files.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a\n  <<: *a\n"))
	f.Add([]byte("sources: &s [*s]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "testdata", mapEnv(map[string]string{"HOME": "/root"}))
		if err == nil && c == nil {
			t.Fatal("no config and no error")
		}
	})
}
