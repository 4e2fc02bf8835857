package notifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Dir "delivers" by writing each message as an .eml file into a directory
// (notify.outbox, and the demo). Writing the same message again replaces
// its file with the same bytes.
type Dir struct{ path string }

var _ Sender = (*Dir)(nil)

// NewDir makes the directory if needed.
func NewDir(path string) (*Dir, error) {
	if path == "" {
		return nil, fmt.Errorf("notifier: outbox directory: empty path")
	}
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, fmt.Errorf("notifier: outbox directory: %w", err)
	}
	return &Dir{path: path}, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.path }

// FileName is the name a message gets: period, kind, recipient and a
// digest of its Message-ID, e.g. 2026-03-16-nudge-alice-3f2a9c1d.eml.
func FileName(m Message) string {
	sum := sha256.Sum256([]byte(m.ID))
	local, _, _ := strings.Cut(m.To, "@")
	return safeName(m.Period) + "-" + safeName(string(m.Kind)) + "-" + safeName(local) + "-" + hex.EncodeToString(sum[:4]) + ".eml"
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.Trim(b.String(), ".")
}

// Send writes the message, atomically: a file is whole or absent.
func (d *Dir) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := m.EML()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(d.path, ".rapport-*.tmp")
	if err != nil {
		return fmt.Errorf("notifier: outbox directory: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("notifier: outbox directory: %w", err)
	}
	if err := f.Chmod(0o640); err != nil {
		f.Close()
		return fmt.Errorf("notifier: outbox directory: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("notifier: outbox directory: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(d.path, FileName(m))); err != nil {
		return fmt.Errorf("notifier: outbox directory: %w", err)
	}
	return nil
}
