package itest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test would have ended. Like
// the real Skipf and Fatalf, its methods do not return: they unwind to
// outcome.
type recorder struct {
	testing.TB
	skipped, failed string
}

type ended struct{}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	panic(ended{})
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(ended{})
}

// outcome runs Require against r and returns its result.
func (r *recorder) outcome(binary, hint string) (path string) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(ended); !ok {
				panic(v)
			}
		}
	}()
	return Require(r, binary, hint)
}

func TestRequire(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "fake-server")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)

	t.Run("a binary in PATH is returned with its path", func(t *testing.T) {
		t.Setenv(RequireEnv, "1")
		r := &recorder{TB: t}
		if got := r.outcome("fake-server", "apt-get install fake-server"); got != bin {
			t.Errorf("Require = %q, want %q", got, bin)
		}
		if r.skipped != "" || r.failed != "" {
			t.Errorf("skipped %q, failed %q; want neither", r.skipped, r.failed)
		}
	})
	t.Run("a missing binary skips with the install hint", func(t *testing.T) {
		t.Setenv(RequireEnv, "")
		r := &recorder{TB: t}
		r.outcome("no-such-server", "apt-get install no-such-server")
		if !strings.Contains(r.skipped, "apt-get install no-such-server") || r.failed != "" {
			t.Errorf("skipped %q, failed %q; want a skip naming the hint", r.skipped, r.failed)
		}
	})
	t.Run("a missing binary fails when integration is required", func(t *testing.T) {
		t.Setenv(RequireEnv, "1")
		r := &recorder{TB: t}
		r.outcome("no-such-server", "apt-get install no-such-server")
		if !strings.Contains(r.failed, "apt-get install no-such-server") || !strings.Contains(r.failed, RequireEnv) || r.skipped != "" {
			t.Errorf("skipped %q, failed %q; want a failure naming the hint and %s", r.skipped, r.failed, RequireEnv)
		}
	})
}
