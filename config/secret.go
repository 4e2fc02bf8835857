package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// redacted is what every printed form of a set Secret shows.
const redacted = "<redacted>"

// Secret holds a password, token or credentials file read at load time.
// Every way of printing it — fmt verbs including %#v, JSON, text encoders,
// slog — shows "<redacted>" (or nothing when unset), so a Config can be
// logged or dumped without leaking; only Reveal gives the value, which keeps
// the places that use a secret easy to find.
type Secret struct{ value string }

// NewSecret wraps a value, for code and tests that build a Config by hand.
func NewSecret(value string) Secret { return Secret{value} }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return s.value }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.value != "" }

// String returns "<redacted>", or "" when the secret is unset.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return redacted
}

// Format makes every fmt verb print String, so that %v, %x or %#v of a
// struct holding a Secret cannot reach the value by reflection.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON writes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
