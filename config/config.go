// Package config loads Rapport's YAML configuration: it decodes strictly
// (an unknown key is an error), expands ${ENV} references, applies defaults
// in one place (applyDefaults), resolves relative paths against the config
// file's directory, reads secrets from their *_file keys and validates the
// result. Every problem is reported with the file, line and exact key path,
// and all problems are reported at once so that one run of
// "rapport check-config" shows everything to fix.
//
// The Config struct is the API: other packages read its fields. Keys are
// the fields' yaml tags; each field's comment gives its default.
package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "time/tzdata" // the distroless image has no zoneinfo; timezones must still load

	"gopkg.in/yaml.v3"
)

// Source types.
const (
	TypeICS    = "ics"
	TypeCalDAV = "caldav"
	TypeGoogle = "google"
)

// Google authentication methods (Source.Auth).
const (
	AuthServiceAccount = "service_account"
	AuthOAuth          = "oauth"
	AuthNone           = "none"
)

// GoogleManagers in Source.Calendars of a google source stands for the
// primary calendar of every manager in the org (domain-wide delegation).
const GoogleManagers = "managers"

// SMTP transport security (SMTP.TLS).
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
	TLSNone     = "none"
)

// Metric label granularity (Metrics.Labels), coarsest last.
const (
	LabelsPair    = "pair"
	LabelsManager = "manager"
	LabelsTeam    = "team"
)

// Config is a loaded and validated configuration. Paths in it are already
// resolved against the config file's directory, emails are lower case, and
// secrets are read.
type Config struct {
	// State is the SQLite database file. Default: rapport.db next to the
	// config file.
	State string `yaml:"state"`
	// Timezone is the IANA zone used for people whose own zone is unknown.
	// Default: UTC.
	Timezone string `yaml:"timezone"`
	// Location is Timezone, loaded.
	Location *time.Location `yaml:"-" json:"-"`
	// Window is the trailing window W the signals are computed over, and
	// compared with the W before it. Default: 84d (12 weeks).
	Window Duration `yaml:"window"`
	// Org is who manages whom.
	Org Org `yaml:"org"`
	// Sources are the calendars to read; at least one is required.
	Sources []Source `yaml:"sources"`
	// Notify is how and when managers and leaders are emailed.
	Notify Notify `yaml:"notify"`
	// Listen is the host:port of the HTTP server (/metrics, /healthz,
	// /readyz, the dashboard and /api/v1). Default: 127.0.0.1:9464.
	Listen string `yaml:"listen"`
	// Web protects the dashboard and API.
	Web Web `yaml:"web"`
	// Metrics controls what the Prometheus metrics reveal.
	Metrics Metrics `yaml:"metrics"`
	// Thresholds are where each signal starts to count.
	Thresholds Thresholds `yaml:"thresholds"`
	// Retention bounds how long raw event history is kept. It must cover
	// two windows, since the analyzer compares W with the W before.
	// Default: 395d (13 months).
	Retention Duration `yaml:"retention"`
	// StoreDescriptions keeps event descriptions in the store. Rapport
	// needs only whether a description exists (for the no-agenda signal),
	// so by default it keeps only that fact. Default: false.
	StoreDescriptions bool `yaml:"store_descriptions"`
}

// Org is the organisation: the known manager–report pairs, grouped in
// teams, and how more pairs may be found.
type Org struct {
	// PrivacyMinGroup is the smallest team whose aggregates leaders see;
	// smaller teams are folded into their parent. Default: 5.
	PrivacyMinGroup int `yaml:"privacy_min_group"`
	// InferPairs makes every 1:1-looking event between exactly two people
	// a pair (single-user mode). Default: false.
	InferPairs bool `yaml:"infer_pairs"`
	// Directory, when "google", also reads pairs from the Google Workspace
	// directory's manager relation, using the first google source's
	// credentials. Default: "" (teams only).
	Directory string `yaml:"directory,omitempty"`
	// DirectoryAdmin (directory: google) is the Workspace administrator the
	// service account acts as to read the directory, through domain-wide
	// delegation. Required with directory: google.
	DirectoryAdmin string `yaml:"directory_admin,omitempty"`
	// Teams lists the teams. Default: none.
	Teams []Team `yaml:"teams"`
}

// Team is one manager and their direct reports.
type Team struct {
	// Name is unique among teams.
	Name string `yaml:"name"`
	// Parent is the name of the enclosing team, into which this team's
	// aggregates fold when it is smaller than Org.PrivacyMinGroup.
	// Default: none.
	Parent string `yaml:"parent,omitempty"`
	// Manager is the manager's email. Required when Reports is not empty;
	// a team without reports can exist only to group child teams.
	Manager string `yaml:"manager,omitempty"`
	// Reports are the direct reports' emails. A person has one manager,
	// so a report appears in one team only.
	Reports []string `yaml:"reports,omitempty"`
	// Leaders receive the team's aggregate digest.
	Leaders []string `yaml:"leaders,omitempty"`
}

// Source is one calendar account to poll. Which keys apply depends on
// Type; a key that the type does not use is an error rather than ignored.
type Source struct {
	// Name identifies the source in logs, metrics and the store; unique,
	// made of letters, digits, ".", "_" and "-".
	Name string `yaml:"name"`
	// Type is "ics", "caldav" or "google".
	Type string `yaml:"type"`
	// Owner is the email of the person whose calendar this is, so that
	// their out-of-office events count for them. Optional.
	Owner string `yaml:"owner,omitempty"`
	// Paths (ics) are files, directories or http(s) URLs; webcal:// URLs
	// are read as https://. Required for ics.
	Paths []string `yaml:"paths,omitempty"`
	// URL (caldav) is the server or principal URL, http or https.
	// Required for caldav.
	URL string `yaml:"url,omitempty"`
	// Username (caldav, ics URLs) is the basic-auth user, used with
	// PasswordFile.
	Username string `yaml:"username,omitempty"`
	// PasswordFile (caldav, ics URLs) holds the basic-auth password.
	PasswordFile string `yaml:"password_file,omitempty"`
	// Password is the content of PasswordFile.
	Password Secret `yaml:"-" json:"-"`
	// TokenFile (caldav, ics URLs) holds a bearer token, instead of a
	// username and password.
	TokenFile string `yaml:"token_file,omitempty"`
	// Token is the content of TokenFile.
	Token Secret `yaml:"-" json:"-"`
	// CAFile is a PEM bundle of extra certificate authorities to trust for
	// this source's server (self-hosted servers with a private CA).
	CAFile string `yaml:"ca_file,omitempty"`
	// Calendars (caldav, google) narrows what is read. For caldav: the
	// calendars' display names or URLs; default every calendar of the
	// account. For google: calendar ids, or "managers" for each manager's
	// primary calendar (service_account only); default "managers" with a
	// service account and "primary" otherwise. A single string is a list
	// of one.
	Calendars []string `yaml:"calendars,omitempty"`
	// Auth (google) is "service_account", "oauth" or "none" (for local
	// emulators behind Endpoint). Required for google.
	Auth string `yaml:"auth,omitempty"`
	// CredentialsFile (google) is the service-account key or the OAuth
	// client JSON. Required for service_account and oauth.
	CredentialsFile string `yaml:"credentials_file,omitempty"`
	// Credentials is the content of CredentialsFile.
	Credentials Secret `yaml:"-" json:"-"`
	// Endpoint (google) overrides the API base URL (proxies, emulators);
	// http or https. Default: Google's.
	Endpoint string `yaml:"endpoint,omitempty"`
	// Interval is how often the source is polled. Default: 5m.
	Interval Duration `yaml:"interval"`
	// Timeout bounds one sync of the source. Default: 1m.
	Timeout Duration `yaml:"timeout"`
}

// Notify configures emails. With neither SMTP.Host nor Outbox set, no email
// is sent: Rapport then serves only the dashboard and metrics.
type Notify struct {
	// From is the sender, e.g. "Rapport <rapport@example.com>". Required
	// when emails are sent or written to the outbox.
	From string `yaml:"from,omitempty"`
	// SMTP is the mail server.
	SMTP SMTP `yaml:"smtp"`
	// Outbox, when set, is a directory where emails are written as .eml
	// files instead of being sent, even when SMTP is configured.
	Outbox string `yaml:"outbox,omitempty"`
	// Cooldown is the least time between two nudges about the same pair
	// and signal. Default: 14d.
	Cooldown Duration `yaml:"cooldown"`
	// Digest is when the weekly digest goes out.
	Digest Digest `yaml:"digest"`
	// SendWindow is when, in each recipient's zone, emails may go out;
	// outside it they wait.
	SendWindow SendWindow `yaml:"send_window"`
	// Templates is a directory of templates overriding the embedded ones.
	// Default: none (embedded templates).
	Templates string `yaml:"templates,omitempty"`
	// BackOnTrack sends a short note when a pair recovers. Default: true.
	BackOnTrack bool `yaml:"back_on_track"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	// Host is the server name. Default: none (no sending).
	Host string `yaml:"host,omitempty"`
	// Port defaults to the TLS mode's standard port: 587 for starttls,
	// 465 for tls, 25 for none.
	Port int `yaml:"port"`
	// TLS is "starttls", "tls" (implicit TLS) or "none". Default: starttls.
	TLS string `yaml:"tls"`
	// Username, with PasswordFile, authenticates to the server.
	Username string `yaml:"username,omitempty"`
	// PasswordFile holds the SMTP password.
	PasswordFile string `yaml:"password_file,omitempty"`
	// Password is the content of PasswordFile.
	Password Secret `yaml:"-" json:"-"`
}

// Digest is the schedule of the weekly digest, in each recipient's zone.
type Digest struct {
	// Weekday defaults to monday.
	Weekday Weekday `yaml:"weekday"`
	// Time defaults to 09:00.
	Time TimeOfDay `yaml:"time"`
}

// SendWindow is the part of the day, in the recipient's zone, when email
// may be delivered.
type SendWindow struct {
	// Start defaults to 08:00.
	Start TimeOfDay `yaml:"start"`
	// End, after Start on the same day, defaults to 18:00.
	End TimeOfDay `yaml:"end"`
	// WeekdaysOnly keeps Saturdays and Sundays free. Default: true.
	WeekdaysOnly bool `yaml:"weekdays_only"`
}

// Web protects the dashboard and JSON API. At most one of BasicAuth and
// TrustedHeader may be set; with neither, they are open to whoever reaches
// Listen, which is why Listen defaults to loopback.
type Web struct {
	// BasicAuth requires a user name and password.
	BasicAuth BasicAuth `yaml:"basic_auth,omitempty"`
	// TrustedHeader names a header set by an authenticating reverse proxy
	// (e.g. X-Forwarded-Email) that carries the viewer's identity.
	TrustedHeader string `yaml:"trusted_header,omitempty"`
}

// BasicAuth is HTTP basic authentication; both fields or neither.
type BasicAuth struct {
	Username     string `yaml:"username,omitempty"`
	PasswordFile string `yaml:"password_file,omitempty"`
	// Password is the content of PasswordFile.
	Password Secret `yaml:"-" json:"-"`
}

// Metrics controls the Prometheus exposition.
type Metrics struct {
	// Labels is the finest granularity of per-entity metrics: "pair",
	// "manager" or "team". Default: manager, since per-pair series let
	// anyone with Prometheus access watch individual relationships.
	Labels string `yaml:"labels"`
}

// Thresholds are the signal thresholds. Rates are fractions (0.3 is 30%)
// and a signal fires when its value is above the threshold.
type Thresholds struct {
	// RescheduleRate is moved / planned past occurrences in W.
	// Default: 0.30.
	RescheduleRate float64 `yaml:"reschedule_rate"`
	// ShortenedRate is shortened / held occurrences in W. Default: 0.25.
	ShortenedRate float64 `yaml:"shortened_rate"`
	// ShortenedRatio is the held / planned duration under which a held
	// occurrence counts as shortened. Default: 0.8.
	ShortenedRatio float64 `yaml:"shortened_ratio"`
	// SkipRate is unexcused skipped / planned past occurrences in W.
	// Default: 0.20.
	SkipRate float64 `yaml:"skip_rate"`
	// CadenceFactor is how many times the intended interval the realised
	// interval may reach before cadence counts as falling. Default: 1.5.
	CadenceFactor float64 `yaml:"cadence_factor"`
	// CadenceTrendFactor is the same against the previous window's
	// realised interval. Default: 1.3.
	CadenceTrendFactor float64 `yaml:"cadence_trend_factor"`
	// LateMoves is how many late moves in W make the late_reschedules
	// signal. Default: 2.
	LateMoves int `yaml:"late_moves"`
	// LateNotice is how close to the planned start a move counts as late.
	// Default: 24h.
	LateNotice Duration `yaml:"late_notice"`
	// MaxGap caps the days since the last held 1:1 before a pair is
	// overdue. Default: 45d.
	MaxGap Duration `yaml:"max_gap"`
	// NoAgendaRate is held 1:1s without a description / held in W.
	// Default: 0.5.
	NoAgendaRate float64 `yaml:"no_agenda_rate"`
}

// Load reads and validates the configuration file at path. env looks up
// environment variables for ${NAME} references; pass os.LookupEnv in
// production. Relative paths in the file are relative to its directory.
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(data, path, filepath.Dir(path), env)
}

// Parse validates a configuration held in memory. Relative paths are
// resolved against dir; env is as for Load (nil: no variables are set).
func Parse(data []byte, dir string, env func(string) (string, bool)) (*Config, error) {
	return parse(data, "", dir, env)
}

// Default returns the configuration an empty file would give, before
// validation: every default, no sources and no teams. It is a starting
// point for configurations built in code (the demo, tests).
func Default() *Config {
	c := &Config{Location: time.UTC}
	applyDefaults(c, func(string) bool { return false })
	return c
}

// Redacted returns the effective configuration as YAML: defaults filled in,
// paths resolved, and secrets absent (only the files they were read from
// are shown). It is what "rapport check-config" prints, and it loads back
// to the same configuration.
func (c *Config) Redacted() string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		// Only a programming error (an unencodable field type) gets here.
		return fmt.Sprintf("# config: %v\n", err)
	}
	_ = enc.Close()
	// Values are already expanded; escaping their dollars keeps them from
	// being expanded again on reload. Keys never contain one.
	return strings.ReplaceAll(b.String(), "$", "$$")
}
