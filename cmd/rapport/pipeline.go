package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/calendar/caldav"
	"github.com/rapport-dev/rapport/calendar/google"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar/ics"
	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/store"
)

// loadConfig reads the configuration; a bad one is a usage error (exit 2).
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return nil, usagef("--config is required")
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// settingsFrom maps the configured thresholds onto the analyzer's settings.
func settingsFrom(cfg *config.Config) analyzer.Settings {
	s := analyzer.DefaultSettings()
	t := cfg.Thresholds
	s.Window = time.Duration(cfg.Window)
	s.RescheduleRate = t.RescheduleRate
	s.ShortenedRate = t.ShortenedRate
	s.ShortenedRatio = t.ShortenedRatio
	s.SkipRate = t.SkipRate
	s.CadenceFactor = t.CadenceFactor
	s.CadenceTrendFactor = t.CadenceTrendFactor
	s.LateMoves = t.LateMoves
	s.LateNotice = time.Duration(t.LateNotice)
	s.MaxGap = time.Duration(t.MaxGap)
	s.NoAgendaRate = t.NoAgendaRate
	return s
}

func orgFrom(cfg *config.Config) analyzer.Org {
	org := analyzer.Org{InferPairs: cfg.Org.InferPairs}
	for _, t := range cfg.Org.Teams {
		org.Teams = append(org.Teams, analyzer.Team{Name: t.Name, Parent: t.Parent, Manager: t.Manager, Reports: t.Reports, Leaders: t.Leaders})
	}
	return org
}

// orgFor is the organisation to analyze: the configured teams and, with
// org.directory: google, the manager relations of the Workspace directory,
// read with the first google source's credentials as org.directory_admin.
// A report the configuration lists keeps its configured manager. On error
// the configured organisation is returned with the error, so that a daemon
// can go on with it.
func orgFor(ctx context.Context, cfg *config.Config, cfgPath string, client clientFunc, logger *slog.Logger) (analyzer.Org, error) {
	org := orgFrom(cfg)
	if cfg.Org.Directory != "google" {
		return org, nil
	}
	i := slices.IndexFunc(cfg.Sources, func(s config.Source) bool { return s.Type == config.TypeGoogle })
	if i < 0 {
		return org, errors.New("org.directory: no google source to read the directory with")
	}
	d, err := google.NewDirectory(googleConfig(cfg, cfgPath, cfg.Sources[i]), cfg.Org.DirectoryAdmin, client("google"), logger)
	if err != nil {
		return org, fmt.Errorf("org.directory: %w", err)
	}
	teams, err := google.DirectoryTeams(ctx, d, "")
	if err != nil {
		return org, fmt.Errorf("org.directory: %w", err)
	}
	return withDirectory(org, teams), nil
}

// withDirectory adds the directory's manager relations to the configured
// organisation: a manager's reports join their configured team, or a team
// named after the manager; configured reports stay where they are.
func withDirectory(org analyzer.Org, teams []google.Team) analyzer.Org {
	listed := map[string]bool{}
	for _, t := range org.Teams {
		for _, r := range t.Reports {
			listed[calendar.CanonicalEmail(r)] = true
		}
	}
	out := org
	out.Teams = append([]analyzer.Team(nil), org.Teams...)
	for _, t := range teams {
		var reports []string
		for _, r := range t.Reports {
			if !listed[r] && r != t.Manager {
				reports = append(reports, r)
				listed[r] = true
			}
		}
		if len(reports) == 0 {
			continue
		}
		if k := slices.IndexFunc(out.Teams, func(x analyzer.Team) bool { return x.Manager == t.Manager }); k >= 0 {
			out.Teams[k].Reports = append(slices.Clone(out.Teams[k].Reports), reports...)
			continue
		}
		out.Teams = append(out.Teams, analyzer.Team{Name: t.Manager, Manager: t.Manager, Reports: reports})
	}
	return out
}

// clientFunc gives each provider its HTTP client, so that the daemon can
// count requests per provider; one-shot commands use the default client.
type clientFunc func(provider string) *http.Client

func defaultClient(string) *http.Client { return http.DefaultClient }

// sourcesFrom builds the configured calendar sources. sc.Timeout bounds a
// whole sync (cycle.Source); each request keeps its source's own timeout.
func sourcesFrom(cfg *config.Config, cfgPath string, client clientFunc, logger *slog.Logger) ([]cycle.Source, error) {
	var out []cycle.Source
	for i, sc := range cfg.Sources {
		var src calendar.Source
		var err error
		switch sc.Type {
		case config.TypeICS:
			src, err = ics.New(ics.Config{Name: sc.Name, Owner: sc.Owner, Paths: sc.Paths, DefaultZone: cfg.Location},
				client("ics"), logger)
		case config.TypeCalDAV:
			var caPEM []byte
			if sc.CAFile != "" {
				if caPEM, err = os.ReadFile(sc.CAFile); err != nil {
					return nil, usagef("config: sources[%d].ca_file: %v", i, err)
				}
			}
			src, err = caldav.New(caldav.Config{
				Name: sc.Name, URL: sc.URL, Owner: sc.Owner, Username: sc.Username,
				Password: sc.Password.Reveal(), Token: sc.Token.Reveal(), CAPEM: caPEM,
				Calendars: sc.Calendars, DefaultZone: cfg.Location,
			}, client("caldav"), logger)
		case config.TypeGoogle:
			src, err = google.New(googleConfig(cfg, cfgPath, sc), client("google"), logger)
		default:
			err = fmt.Errorf("unknown type %q", sc.Type)
		}
		if err != nil {
			return nil, usagef("config: sources[%d]: %v", i, err)
		}
		out = append(out, cycle.Source{Name: sc.Name, Source: src, Timeout: time.Duration(sc.Timeout)})
	}
	return out, nil
}

// googleConfig maps a google source: "managers" reads every configured
// manager's primary calendar, through domain-wide delegation.
func googleConfig(cfg *config.Config, cfgPath string, sc config.Source) google.Config {
	gc := google.Config{
		Name: sc.Name, Auth: sc.Auth, Credentials: []byte(sc.Credentials.Reveal()),
		TokenFile: googleTokenFile(cfg, sc), ConfigFile: cfgPath,
		Calendars: sc.Calendars, Owner: sc.Owner, Endpoint: sc.Endpoint, Interval: time.Duration(sc.Interval),
	}
	for _, t := range cfg.Org.Teams {
		if t.Manager != "" && !slices.Contains(gc.Managers, t.Manager) {
			gc.Managers = append(gc.Managers, t.Manager)
		}
		gc.Reports = append(gc.Reports, t.Reports...)
	}
	return gc
}

// googleTokenFile is where `rapport auth google` keeps a source's OAuth
// token: next to the state database, readable by its owner only.
func googleTokenFile(cfg *config.Config, sc config.Source) string {
	return filepath.Join(filepath.Dir(cfg.State), "google-"+sc.Name+".token.json")
}

// openStore opens the configured store.
func openStore(ctx context.Context, path string, logger *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, path, logger)
	if err != nil {
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	return st, nil
}

// newLogger logs to stderr; RAPPORT_LOG_LEVEL=debug shows more.
func newLogger(stderr interface{ Write([]byte) (int, error) }) *slog.Logger {
	level := slog.LevelWarn
	if v := os.Getenv("RAPPORT_LOG_LEVEL"); v != "" {
		_ = level.UnmarshalText([]byte(v))
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}
