package main

import (
	"context"
	"io"
	"time"

	"github.com/rapport-dev/rapport/calendar/google"
	"github.com/rapport-dev/rapport/config"
)

// authTimeout bounds how long `rapport auth google` waits for the user to
// grant access in a browser.
const authTimeout = 10 * time.Minute

// runAuth runs the installed-app OAuth flow for a `type: google, auth:
// oauth` source and stores its token next to the state database.
func runAuth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "google" {
		return usagef("auth: usage: rapport auth google --config FILE [--source NAME]")
	}
	var cfgPath, name string
	fs := newFlagSet("auth google", "--config FILE [--source NAME]", stderr)
	fs.StringVar(&cfgPath, "config", "", "configuration file")
	fs.StringVar(&name, "source", "", "the google source to authorize (default: the only oauth one)")
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return err
	}
	var src *config.Source
	for i, sc := range cfg.Sources {
		if sc.Type != config.TypeGoogle || sc.Auth != config.AuthOAuth || (name != "" && sc.Name != name) {
			continue
		}
		if src != nil {
			return usagef("auth: several google oauth sources; choose one with --source")
		}
		src = &cfg.Sources[i]
	}
	if src == nil {
		return usagef("auth: no google source with auth: oauth in %s", cfgPath)
	}
	ctx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	// No browser is opened from here: Rapport usually runs on a server, and
	// the URL written to stdout works from any machine's browser.
	return google.Authorize(ctx, []byte(src.Credentials.Reveal()), googleTokenFile(cfg, *src), nil, stdout)
}
