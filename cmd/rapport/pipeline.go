package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
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

// sourcesFrom builds the configured calendar sources.
func sourcesFrom(cfg *config.Config, logger *slog.Logger) ([]cycle.Source, error) {
	var out []cycle.Source
	for i, sc := range cfg.Sources {
		switch sc.Type {
		case "ics":
			// sc.Timeout bounds the whole sync (see cycle.Source); each
			// request keeps the source's own shorter timeout.
			src, err := ics.New(ics.Config{
				Name: sc.Name, Owner: sc.Owner, Paths: sc.Paths, DefaultZone: cfg.Location,
			}, http.DefaultClient, logger)
			if err != nil {
				return nil, usagef("config: sources[%d]: %v", i, err)
			}
			out = append(out, cycle.Source{Name: sc.Name, Source: src, Timeout: time.Duration(sc.Timeout)})
		default:
			return nil, usagef("config: sources[%d].type: %q sources are not available in this build yet (ics is)", i, sc.Type)
		}
	}
	return out, nil
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
