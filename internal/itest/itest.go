// Package itest holds what Rapport's integration tests share: finding the
// real server or tool a test talks to, and deciding what to do when it is
// missing.
//
// A missing binary skips the test with an install hint on a developer's
// machine, and fails it when RAPPORT_REQUIRE_INTEGRATION=1 (CI), so that an
// integration test can never pass in CI by quietly not running.
package itest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that turns a missing binary from a
// skip into a failure.
const RequireEnv = "RAPPORT_REQUIRE_INTEGRATION"

// Required reports whether integration tests must run rather than skip.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Require returns the path of binary, looked up in PATH. When it is not
// found, the test is skipped with installHint (e.g. "apt-get install
// radicale"), or fails when RAPPORT_REQUIRE_INTEGRATION=1.
func Require(t testing.TB, binary, installHint string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err == nil {
		return path
	}
	if Required() {
		t.Fatalf("%s not found (%v); %s=1 requires it: %s", binary, err, RequireEnv, installHint)
	}
	t.Skipf("%s not found; install it to run this test: %s", binary, installHint)
	return ""
}
