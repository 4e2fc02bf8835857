package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// noEnv is an environment where no variable is set.
func noEnv(string) (string, bool) { return "", false }

// mapEnv is an environment holding exactly m.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// defaultThresholds are DESIGN.md's signal table, written out here rather
// than taken from Default() so that a changed default fails a test.
func defaultThresholds() Thresholds {
	return Thresholds{
		RescheduleRate:     0.30,
		ShortenedRate:      0.25,
		ShortenedRatio:     0.8,
		SkipRate:           0.20,
		CadenceFactor:      1.5,
		CadenceTrendFactor: 1.3,
		LateMoves:          2,
		LateNotice:         Duration(24 * time.Hour),
		MaxGap:             Duration(45 * day),
		NoAgendaRate:       0.5,
	}
}

// invalidConfigs maps each testdata/invalid-NAME.yml to exactly the
// message it is rejected with. Messages are part of the interface:
// operators read them, and check-config prints them.
func invalidConfigs() map[string]string {
	return map[string]string{
		"unknown-key": `config: testdata/invalid-unknown-key.yml:10: listn: unknown key (did you mean listen?)`,

		"typo-in-source-key": `config: testdata/invalid-typo-in-source-key.yml:8: sources[0].pasword_file: unknown key (did you mean password_file?)`,

		"duplicate-key": `config: testdata/invalid-duplicate-key.yml:10: sources[0].type: duplicate key (first on line 8)`,

		"yaml-syntax": `config: testdata/invalid-yaml-syntax.yml:5: invalid YAML: mapping values are not allowed in this context`,

		"two-documents": `config: testdata/invalid-two-documents.yml:7: only one YAML document is allowed`,

		"empty": `config: testdata/invalid-empty.yml: org: no pairs to track: list teams, set directory: google, or set infer_pairs: true
config: testdata/invalid-empty.yml: sources: at least one source is required`,

		"wrong-shape": `config: testdata/invalid-wrong-shape.yml:2: org.infer_pairs: must be true or false, got "yes"
config: testdata/invalid-wrong-shape.yml:6: org.teams[0].reports: must be a list, got a mapping
config: testdata/invalid-wrong-shape.yml:7: sources: must be a list, got a mapping
config: testdata/invalid-wrong-shape.yml:12: notify.smtp.port: must be a whole number, got "submission"`,

		"timezone": `config: testdata/invalid-timezone.yml:1: timezone: unknown time zone "Europe/Berln" (want an IANA name such as Europe/Berlin)`,

		"negative-duration": `config: testdata/invalid-negative-duration.yml:1: window: invalid duration "-1w": must not be negative`,

		"retention": `config: testdata/invalid-retention.yml:2: retention: 90d is shorter than two windows (168d): the previous window could not be compared`,

		"no-pairs": `config: testdata/invalid-no-pairs.yml:1: org: no pairs to track: list teams, set directory: google, or set infer_pairs: true`,

		"manager-email": `config: testdata/invalid-manager-email.yml:4: org.teams[0].manager: "bob" is not an email address`,

		"own-report": `config: testdata/invalid-own-report.yml:5: org.teams[0].reports[1]: "alice@example.com" is the team's manager; a person is not their own report`,

		"two-managers": `config: testdata/invalid-two-managers.yml:8: org.teams[1].reports[1]: "bob@example.com" has two managers: alice@example.com in team "platform" and erin@example.com in team "infra"`,

		"duplicate-team": `config: testdata/invalid-duplicate-team.yml:6: org.teams[1].name: duplicate team name "platform"`,

		"team-parent": `config: testdata/invalid-team-parent.yml:4: org.teams[0].parent: unknown team "engineering"
config: testdata/invalid-team-parent.yml:8: org.teams[1].parent: teams form a cycle: infra → ops → infra`,

		"no-sources": `config: testdata/invalid-no-sources.yml: sources: at least one source is required`,

		"source-type": `config: testdata/invalid-source-type.yml:8: sources[0].type: unknown type "exchange" (want ics, caldav or google)`,

		"duplicate-source-name": `config: testdata/invalid-duplicate-source-name.yml:13: sources[2].name: duplicate source name "x"`,

		"source-url": `config: testdata/invalid-source-url.yml:12: sources[1].url: must be an http or https URL, got "ftp://cloud.example.com/remote.php/dav"`,

		"key-not-used-by-type": `config: testdata/invalid-key-not-used-by-type.yml:10: sources[0].url: not used by ics sources
config: testdata/invalid-key-not-used-by-type.yml:11: sources[0].auth: not used by ics sources`,

		"ics-without-paths": `config: testdata/invalid-ics-without-paths.yml:7: sources[0].paths: required for ics sources (files, directories or http(s) URLs)`,

		"caldav-without-url": `config: testdata/invalid-caldav-without-url.yml:7: sources[0].url: required for caldav sources`,

		"google-auth": `config: testdata/invalid-google-auth.yml:7: sources[0].credentials_file: required for auth service_account
config: testdata/invalid-google-auth.yml:14: sources[1].calendars[0]: "managers" needs auth service_account (domain-wide delegation)
config: testdata/invalid-google-auth.yml:17: sources[2].auth: unknown auth "apikey" (want service_account, oauth or none)`,

		"directory-admin": `config: testdata/invalid-directory-admin.yml:1: org.directory_admin: required with directory: google (a Workspace administrator's email)`,

		"endpoint": `config: testdata/invalid-endpoint.yml:10: sources[0].endpoint: must be an http or https URL, got "localhost:8085"`,

		"ca-file": `config: testdata/invalid-ca-file.yml:7: sources[0].ca_file: testdata/secrets/caldav holds no PEM certificate`,

		"inline-password": `config: testdata/invalid-inline-password.yml:11: sources[0].password: inline secrets are not allowed; use password_file`,

		"missing-secret": `config: testdata/invalid-missing-secret.yml:15: notify.smtp.password_file: open testdata/secrets/does-not-exist: no such file or directory`,

		"empty-secret": `config: testdata/invalid-empty-secret.yml:10: sources[0].token_file: testdata/secrets/empty is empty`,

		"unset-env": `config: testdata/invalid-unset-env.yml:13: notify.smtp.host: environment variable SMTP_HOST is not set (use ${SMTP_HOST:-default} to give a default)`,

		"env-syntax": `config: testdata/invalid-env-syntax.yml:9: sources[0].paths[0]: "$" must start ${NAME} or ${NAME:-default} (write $$ for a literal $)
config: testdata/invalid-env-syntax.yml:9: sources[0].paths[1]: invalid variable reference ${1X} (want ${NAME} or ${NAME:-default})`,

		"cooldown": `config: testdata/invalid-cooldown.yml:11: notify.cooldown: invalid duration "2x" (use h, d or w, e.g. 14d)`,

		"smtp": `config: testdata/invalid-smtp.yml:10: notify.from: required to send email
config: testdata/invalid-smtp.yml:11: notify.smtp.password_file: required with username
config: testdata/invalid-smtp.yml:13: notify.smtp.port: must be between 1 and 65535, got 70000
config: testdata/invalid-smtp.yml:14: notify.smtp.tls: unknown value "ssl" (want starttls, tls or none)`,

		"digest": `config: testdata/invalid-digest.yml:12: notify.digest.weekday: unknown weekday "someday" (want monday, tuesday, … sunday)
config: testdata/invalid-digest.yml:13: notify.digest.time: invalid time "25:00" (want HH:MM, e.g. 09:00)`,

		"send-window": `config: testdata/invalid-send-window.yml:13: notify.send_window.end: 08:00 is not after start 18:00`,

		"listen": `config: testdata/invalid-listen.yml:10: listen: "9464" is not host:port (e.g. 127.0.0.1:9464 or :9464)`,

		"web-auth": `config: testdata/invalid-web-auth.yml:14: web.trusted_header: "X Forwarded User" is not an HTTP header name
config: testdata/invalid-web-auth.yml:14: web.trusted_header: set basic_auth or trusted_header, not both`,

		"metrics-labels": `config: testdata/invalid-metrics-labels.yml:11: metrics.labels: unknown value "person" (want pair, manager or team)`,

		"thresholds": `config: testdata/invalid-thresholds.yml:11: thresholds.reschedule_rate: must be between 0 and 1 (a fraction: 0.3 is 30%), got 30
config: testdata/invalid-thresholds.yml:12: thresholds.shortened_ratio: must be above 0 and at most 1 (held / planned duration), got 0
config: testdata/invalid-thresholds.yml:13: thresholds.cadence_factor: must be at least 1 (a multiple of the interval, e.g. 1.5), got 0.9
config: testdata/invalid-thresholds.yml:14: thresholds.late_moves: must be at least 1, got 0
config: testdata/invalid-thresholds.yml:15: thresholds.max_gap: must be positive`,

		// All problems at once, in file order, each reported once: a value
		// that fails to decode is not reported again by the checks after it.
		"several-problems": `config: testdata/invalid-several-problems.yml:1: timezone: unknown time zone "Mars/Olympus" (want an IANA name such as Europe/Berlin)
config: testdata/invalid-several-problems.yml:6: org.teams[0].reports[0]: "bob at example.com" is not an email address
config: testdata/invalid-several-problems.yml:11: sources[0].interval: invalid duration "5 minutes" (use h, d or w, e.g. 14d)
config: testdata/invalid-several-problems.yml:13: notify.cooldown: invalid duration "14" (use h, d or w, e.g. 14d)
config: testdata/invalid-several-problems.yml:14: listen: "localhost" is not host:port (e.g. 127.0.0.1:9464 or :9464)`,
	}
}

func TestInvalidConfigsAreRejectedWithExactMessages(t *testing.T) {
	for name, want := range invalidConfigs() {
		t.Run(name, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", "invalid-"+name+".yml"), noEnv)
			if err == nil {
				t.Fatalf("Load succeeded; want error:\n%s\nconfig:\n%s", want, c.Redacted())
			}
			if c != nil {
				t.Errorf("Load returned a config with its error")
			}
			if got := err.Error(); got != want {
				t.Errorf("error:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// A new invalid-*.yml must come with its expected message, or it would
// silently test nothing.
func TestEveryInvalidFileHasAnExpectedMessage(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := invalidConfigs()
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "invalid-"), ".yml")
		if _, ok := want[name]; !ok {
			t.Errorf("%s has no entry in invalidConfigs", f)
		}
	}
	if len(files) != len(want) {
		t.Errorf("%d invalid-*.yml files, %d expected messages", len(files), len(want))
	}
}

func TestErrorsCarryFileLinePathAndCause(t *testing.T) {
	_, err := Load("testdata/invalid-missing-secret.yml", noEnv)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *config.Error", err)
	}
	if e.File != "testdata/invalid-missing-secret.yml" || e.Line != 15 || e.Path != "notify.smtp.password_file" {
		t.Errorf("got File %q Line %d Path %q", e.File, e.Line, e.Path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestParseNamesLinesWithoutAFile(t *testing.T) {
	_, err := Parse([]byte("org: {infer_pairs: true}\nsources:\n  - {name: a, type: ics, paths: [a.ics], timeout: soon}\n"), ".", noEnv)
	want := `config: line 3: sources[0].timeout: invalid duration "soon" (use h, d or w, e.g. 14d)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestLoadOfAMissingFileWrapsTheOSError(t *testing.T) {
	_, err := Load("testdata/no-such.yml", noEnv)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "config: ") {
		t.Errorf("error %v: want a config: error wrapping fs.ErrNotExist", err)
	}
}

// full.yml is DESIGN.md's example; what it leaves out takes the defaults.
func TestDesignExampleLoadsWithDefaults(t *testing.T) {
	got, err := Load("testdata/full.yml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got.Location == nil || got.Location.String() != "Europe/Berlin" {
		t.Errorf("Location %v, want Europe/Berlin", got.Location)
	}
	got.Location = nil
	want := &Config{
		State:    "/var/lib/rapport/rapport.db",
		Timezone: "Europe/Berlin",
		Window:   Duration(84 * day),
		Org: Org{
			PrivacyMinGroup: 5,
			Teams: []Team{{
				Name:    "platform",
				Manager: "alice@example.com",
				Reports: []string{"bob@example.com", "carol@example.com"},
				Leaders: []string{"dana@example.com"},
			}},
		},
		Sources: []Source{
			{
				Name: "team-files", Type: TypeICS, Owner: "alice@example.com",
				Paths:    []string{filepath.Join("testdata", "calendars", "alice.ics")},
				Interval: Duration(5 * time.Minute), Timeout: Duration(time.Minute),
			},
			{
				Name: "fastmail", Type: TypeCalDAV, Owner: "alice@example.com",
				URL:          "https://caldav.example.com/",
				Username:     "alice@example.com",
				PasswordFile: filepath.Join("testdata", "secrets", "caldav"),
				Password:     NewSecret("caldav-secret"),
				Interval:     Duration(5 * time.Minute), Timeout: Duration(time.Minute),
			},
			{
				Name: "workspace", Type: TypeGoogle, Auth: AuthServiceAccount,
				CredentialsFile: filepath.Join("testdata", "secrets", "sa.json"),
				Credentials:     NewSecret(`{"type": "service_account", "private_key": "fake-sa-key"}`),
				Calendars:       []string{GoogleManagers},
				Interval:        Duration(5 * time.Minute), Timeout: Duration(time.Minute),
			},
		},
		Notify: Notify{
			From: "Rapport <rapport@example.com>",
			SMTP: SMTP{
				Host: "smtp.example.com", Port: 587, TLS: TLSStartTLS, Username: "rapport",
				PasswordFile: filepath.Join("testdata", "secrets", "smtp"),
				Password:     NewSecret("smtp-secret"), // the file ends in CRLF
			},
			Cooldown:    Duration(14 * day),
			Digest:      Digest{Weekday: Weekday(time.Monday), Time: 9 * 60},
			SendWindow:  SendWindow{Start: 8 * 60, End: 18 * 60, WeekdaysOnly: true},
			BackOnTrack: true,
		},
		Listen:     "127.0.0.1:9464",
		Metrics:    Metrics{Labels: LabelsManager},
		Thresholds: defaultThresholds(),
		Retention:  Duration(395 * day),
	}
	assertConfig(t, got, want)
}

// every-key.yml sets every key to something other than its default.
func TestEveryKeyIsRead(t *testing.T) {
	got, err := Load("testdata/every-key.yml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got.Location == nil || got.Location.String() != "America/New_York" {
		t.Errorf("Location %v, want America/New_York", got.Location)
	}
	got.Location = nil
	td := func(elem ...string) string { return filepath.Join(append([]string{"testdata"}, elem...)...) }
	want := &Config{
		State:    td("data", "rapport.db"),
		Timezone: "America/New_York",
		Window:   Duration(8 * week),
		Org: Org{
			PrivacyMinGroup: 3,
			InferPairs:      true,
			Directory:       "google",
			DirectoryAdmin:  "admin@example.com",
			Teams: []Team{
				{Name: "engineering", Leaders: []string{"cto@example.com"}},
				{
					Name: "platform", Parent: "engineering", Manager: "alice@example.com",
					Reports: []string{"bob@example.com"},
					Leaders: []string{"dana@example.com", "erin@example.com"},
				},
			},
		},
		Sources: []Source{
			{
				Name: "holidays", Type: TypeICS,
				Paths:    []string{td("calendars"), "/srv/ics/team.ics", "https://example.com/holidays.ics"},
				Username: "reader", PasswordFile: td("secrets", "caldav"), Password: NewSecret("caldav-secret"),
				CAFile:   td("ca.pem"),
				Interval: Duration(time.Hour), Timeout: Duration(30 * time.Second),
			},
			{
				Name: "radicale", Type: TypeCalDAV, Owner: "alice@example.com",
				URL:       "http://localhost:5232/alice/",
				TokenFile: td("secrets", "token"), Token: NewSecret("bearer-secret"),
				Calendars: []string{"Work", "/alice/1on1s/"},
				Interval:  Duration(90 * time.Minute), Timeout: Duration(2 * time.Minute),
			},
			{
				Name: "personal", Type: TypeGoogle, Auth: AuthOAuth,
				CredentialsFile: td("secrets", "sa.json"),
				Credentials:     NewSecret(`{"type": "service_account", "private_key": "fake-sa-key"}`),
				Calendars:       []string{"primary", "team@group.calendar.google.com"},
				Endpoint:        "http://127.0.0.1:8085/calendar/v3",
				CAFile:          td("ca.pem"),
				Interval:        Duration(5 * time.Minute), Timeout: Duration(time.Minute),
			},
		},
		Notify: Notify{
			From: "rapport@example.com",
			SMTP: SMTP{
				Host: "mail.example.com", Port: 465, TLS: TLSImplicit, Username: "rapport",
				PasswordFile: td("secrets", "smtp"), Password: NewSecret("smtp-secret"),
			},
			Outbox:      td("outbox"),
			Cooldown:    Duration(9 * day),
			Digest:      Digest{Weekday: Weekday(time.Friday), Time: 16*60 + 30},
			SendWindow:  SendWindow{Start: 7*60 + 30, End: 19 * 60},
			Templates:   td("templates"),
			BackOnTrack: false,
		},
		Listen: ":8080",
		Web: Web{BasicAuth: BasicAuth{
			Username: "admin", PasswordFile: td("secrets", "web"), Password: NewSecret("web-secret"),
		}},
		Metrics: Metrics{Labels: LabelsTeam},
		Thresholds: Thresholds{
			RescheduleRate: 0.4, ShortenedRate: 0.35, ShortenedRatio: 0.75, SkipRate: 0.1,
			CadenceFactor: 2, CadenceTrendFactor: 1.25, LateMoves: 3,
			LateNotice: Duration(12 * time.Hour), MaxGap: Duration(30 * day), NoAgendaRate: 0.6,
		},
		Retention:         Duration(365 * day),
		StoreDescriptions: true,
	}
	assertConfig(t, got, want)
}

func TestAMinimalConfigIsTheDefaultsPlusWhatItSays(t *testing.T) {
	got, err := Load("testdata/minimal.yml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.State = filepath.Join("testdata", "rapport.db")
	want.Org.Teams = []Team{{Name: "platform", Manager: "alice@example.com", Reports: []string{"bob@example.com"}}}
	want.Sources = []Source{{
		Name: "alice", Type: TypeICS, Paths: []string{filepath.Join("testdata", "alice.ics")},
		Interval: Duration(5 * time.Minute), Timeout: Duration(time.Minute),
	}}
	if got.Location != time.UTC {
		t.Errorf("Location %v, want UTC", got.Location)
	}
	assertConfig(t, got, want)

	// The defaults DESIGN.md and the field comments promise.
	d := Default()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"state", d.State, "rapport.db"},
		{"timezone", d.Timezone, "UTC"},
		{"window", d.Window, Duration(12 * week)},
		{"listen", d.Listen, "127.0.0.1:9464"},
		{"retention", d.Retention, Duration(395 * day)},
		{"store_descriptions", d.StoreDescriptions, false},
		{"org.privacy_min_group", d.Org.PrivacyMinGroup, 5},
		{"org.infer_pairs", d.Org.InferPairs, false},
		{"notify.smtp.port", d.Notify.SMTP.Port, 587},
		{"notify.smtp.tls", d.Notify.SMTP.TLS, "starttls"},
		{"notify.cooldown", d.Notify.Cooldown, Duration(14 * day)},
		{"notify.digest", d.Notify.Digest, Digest{Weekday: Weekday(time.Monday), Time: 9 * 60}},
		{"notify.send_window", d.Notify.SendWindow, SendWindow{Start: 8 * 60, End: 18 * 60, WeekdaysOnly: true}},
		{"notify.back_on_track", d.Notify.BackOnTrack, true},
		{"metrics.labels", d.Metrics.Labels, "manager"},
		{"thresholds", d.Thresholds, defaultThresholds()},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultsThatDependOnOtherKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		get  func(*Config) any
		want any
	}{
		{"smtp port for starttls is 587", "notify: {smtp: {tls: starttls}}", func(c *Config) any { return c.Notify.SMTP.Port }, 587},
		{"smtp port for implicit tls is 465", "notify: {smtp: {tls: tls}}", func(c *Config) any { return c.Notify.SMTP.Port }, 465},
		{"smtp port without tls is 25", "notify: {smtp: {tls: none}}", func(c *Config) any { return c.Notify.SMTP.Port }, 25},
		{"an explicit smtp port wins", "notify: {smtp: {tls: tls, port: 2465}}", func(c *Config) any { return c.Notify.SMTP.Port }, 2465},
		{"an explicit false is kept", "notify: {send_window: {weekdays_only: false}}", func(c *Config) any { return c.Notify.SendWindow.WeekdaysOnly }, false},
		{"a null value keeps the default", "notify: {cooldown: ~}\nlisten:", func(c *Config) any { return []any{c.Notify.Cooldown, c.Listen} }, []any{Duration(14 * day), "127.0.0.1:9464"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(minimalWith(tc.yaml)), "/etc/rapport", noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("google calendars default to managers with a service account, else primary", func(t *testing.T) {
		c, err := Parse([]byte(`
org: {infer_pairs: true}
sources:
  - {name: sa, type: google, auth: service_account, credentials_file: testdata/secrets/sa.json}
  - {name: me, type: google, auth: oauth, credentials_file: testdata/secrets/sa.json}
  - {name: emu, type: google, auth: none, endpoint: "http://127.0.0.1:8085"}
`), ".", noEnv)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for _, s := range c.Sources {
			got = append(got, s.Calendars)
		}
		want := [][]string{{"managers"}, {"primary"}, {"primary"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("calendars %q, want %q", got, want)
		}
	})
}

// minimalWith is a valid configuration plus extra top-level YAML.
func minimalWith(extra string) string {
	return "org: {infer_pairs: true}\nsources: [{name: a, type: ics, paths: [a.ics]}]\n" + extra + "\n"
}

func TestRelativePathsResolveAgainstTheConfigDirectory(t *testing.T) {
	c, err := Parse([]byte(`
state: data/rapport.db
org: {infer_pairs: true}
sources:
  - name: files
    type: ics
    paths: [team.ics, ./cals/, ../shared/x.ics, /abs/y.ics, "https://example.com/a.ics", "webcal://example.com/b.ics"]
notify:
  from: rapport@example.com
  outbox: outbox
`), "/etc/rapport", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/rapport/team.ics", "/etc/rapport/cals", "/etc/shared/x.ics", "/abs/y.ics",
		"https://example.com/a.ics", "https://example.com/b.ics",
	}
	if got := c.Sources[0].Paths; !reflect.DeepEqual(got, want) {
		t.Errorf("paths %q, want %q", got, want)
	}
	if c.State != "/etc/rapport/data/rapport.db" {
		t.Errorf("state %q", c.State)
	}
	if c.Notify.Outbox != "/etc/rapport/outbox" {
		t.Errorf("outbox %q", c.Notify.Outbox)
	}

	d, err := Parse([]byte(minimalWith("")), "/etc/rapport", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "/etc/rapport/rapport.db" {
		t.Errorf("default state %q, want rapport.db next to the config", d.State)
	}
}

func TestEnvironmentVariablesExpandInAnyValue(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "smtp"), []byte("from-credentials-dir\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := mapEnv(map[string]string{
		"CREDENTIALS_DIRECTORY": dir, // as systemd's LoadCredential= sets it
		"SMTP_HOST":             "mail.internal",
		"SMTP_PORT":             "2525",
		"INFER":                 "true",
		"COOLDOWN":              "3w",
		"EMPTY":                 "",
		"TEAM_REPORTS":          "bob@example.com",
		"DOLLARS":               "pa$$word${X}",
	})
	c, err := Parse([]byte(`
org:
  infer_pairs: ${INFER}
  teams: [{name: "team-${EMPTY:-a}", manager: alice@example.com, reports: ["${TEAM_REPORTS}"]}]
sources:
  - name: s
    type: caldav
    url: https://${CALDAV_HOST:-caldav.example.com}/dav/
    calendars: ["${DOLLARS}"]
    token_file: ${CREDENTIALS_DIRECTORY}/smtp
notify:
  from: "Rapport <rapport$$@example.com>"
  smtp: {host: "${SMTP_HOST}", port: "${SMTP_PORT}", username: u, password_file: "${CREDENTIALS_DIRECTORY}/smtp"}
  cooldown: ${COOLDOWN}
`), "/etc/rapport", env)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"booleans", c.Org.InferPairs, true},
		{"defaults apply to empty variables", c.Org.Teams[0].Name, "team-a"},
		{"list items", c.Org.Teams[0].Reports, []string{"bob@example.com"}},
		{"defaults apply to unset variables", c.Sources[0].URL, "https://caldav.example.com/dav/"},
		{"expanded text is not expanded again", c.Sources[0].Calendars, []string{"pa$$word${X}"}},
		{"$$ is a dollar", c.Notify.From, "Rapport <rapport$@example.com>"},
		{"strings", c.Notify.SMTP.Host, "mail.internal"},
		{"numbers", c.Notify.SMTP.Port, 2525},
		{"durations", c.Notify.Cooldown, Duration(3 * week)},
		{"secret file paths", c.Notify.SMTP.Password.Reveal(), "from-credentials-dir"},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Load("testdata/every-key.yml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Notify.SMTP.Password.Reveal(); got != "smtp-secret" {
		t.Fatalf("Reveal = %q, want the file's content without its CRLF", got)
	}
	secrets := []string{"caldav-secret", "bearer-secret", "fake-sa-key", "smtp-secret", "web-secret"}

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "smtp", c.Notify.SMTP, "password", c.Notify.SMTP.Password)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"Redacted": c.Redacted(),
		"json":     string(js),
		"slog":     logged.String(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		outputs[verb+" of the config"] = fmt.Sprintf(verb, *c)
		outputs[verb+" of a source"] = fmt.Sprintf(verb, c.Sources[1])
		outputs[verb+" of a secret"] = fmt.Sprintf(verb, c.Sources[2].Credentials)
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(out, fmt.Sprintf("%x", s)) {
				t.Errorf("%s shows secret %q:\n%s", name, s, out)
			}
		}
	}
	if got := fmt.Sprint(c.Web.BasicAuth.Password); got != "<redacted>" {
		t.Errorf("a set secret prints %q, want <redacted>", got)
	}
	if got := fmt.Sprint(Secret{}); got != "" {
		t.Errorf("an unset secret prints %q, want nothing", got)
	}
	if !strings.Contains(outputs["Redacted"], "password_file: "+filepath.Join("testdata", "secrets", "smtp")) {
		t.Errorf("Redacted does not say where the SMTP password comes from:\n%s", outputs["Redacted"])
	}
}

// What check-config prints must load again to the same configuration.
func TestRedactedOutputLoadsBack(t *testing.T) {
	c, err := Load("testdata/every-key.yml", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse([]byte(c.Redacted()), ".", noEnv)
	if err != nil {
		t.Fatalf("Redacted output does not load: %v\n%s", err, c.Redacted())
	}
	assertConfig(t, again, c)

	t.Run("dollars stay literal", func(t *testing.T) {
		c, err := Parse([]byte(minimalWith(`notify: {from: "Rapport <r$$${X}@example.com>", outbox: out}`)), ".", mapEnv(map[string]string{"X": "$Y"}))
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse([]byte(c.Redacted()), ".", noEnv)
		if err != nil {
			t.Fatalf("Redacted output does not load: %v\n%s", err, c.Redacted())
		}
		if got, want := again.Notify.From, "Rapport <r$$Y@example.com>"; got != want || c.Notify.From != want {
			t.Errorf("from %q, reloaded %q, want %q", c.Notify.From, got, want)
		}
	})
}

func TestAnchorsAndMergeKeysShareSettings(t *testing.T) {
	c, err := Parse([]byte(`
org: {infer_pairs: true}
x-caldav: &caldav
  type: caldav
  interval: 10m
sources:
  - <<: *caldav
    name: alice
    url: https://dav.example.com/alice/
  - <<: *caldav
    name: bob
    url: https://dav.example.com/bob/
    interval: 1m
`), ".", noEnv)
	// Top-level x- keys are not allowed: unknown keys are errors
	// everywhere, so the anchor must live somewhere known.
	if err == nil || !strings.Contains(err.Error(), "x-caldav: unknown key") {
		t.Fatalf("error %v, want x-caldav rejected", err)
	}

	c, err = Parse([]byte(`
org: {infer_pairs: true}
sources:
  - &alice
    name: alice
    type: caldav
    url: https://dav.example.com/alice/
    interval: 10m
  - <<: *alice
    name: bob
    url: https://dav.example.com/bob/
`), ".", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	bob := c.Sources[1]
	if bob.Name != "bob" || bob.URL != "https://dav.example.com/bob/" || bob.Type != TypeCalDAV || bob.Interval != Duration(10*time.Minute) {
		t.Errorf("merged source %+v", bob)
	}
}

func TestURLPasswordsAreRefusedAndNeverEchoed(t *testing.T) {
	_, err := Parse([]byte("org: {infer_pairs: true}\nsources: [{name: a, type: caldav, url: \"https://alice:hunter2@dav.example.com/\"}]\n"), ".", noEnv)
	want := "config: line 2: sources[0].url: must not contain a password; use username and password_file"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	_, err = Parse([]byte("org: {infer_pairs: true}\nsources: [{name: a, type: caldav, url: \"ftp://alice:hunter2@dav.example.com/\"}]\n"), ".", noEnv)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v shows the password", err)
	}
}

func TestEmailsAreCanonicalLowerCase(t *testing.T) {
	c, err := Parse([]byte(`
org:
  teams: [{name: t, manager: Alice@Example.COM, reports: [Bob@example.com], leaders: [DANA@example.com]}]
sources: [{name: a, type: ics, owner: Alice@Example.com, paths: [a.ics]}]
`), ".", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	team := c.Org.Teams[0]
	got := []string{team.Manager, team.Reports[0], team.Leaders[0], c.Sources[0].Owner}
	want := []string{"alice@example.com", "bob@example.com", "dana@example.com", "alice@example.com"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("emails %q, want %q", got, want)
	}
}

// assertConfig compares whole configurations. Secrets are compared by
// value, which %+v cannot show, so they are checked on their own first.
func assertConfig(t *testing.T, got, want *Config) {
	t.Helper()
	if g, w := revealAll(got), revealAll(want); !reflect.DeepEqual(g, w) {
		t.Errorf("secrets:\n got %q\nwant %q", g, w)
	}
	g, w := *got, *want
	g.Location, w.Location = nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("config:\n got %+v\nwant %+v", g, w)
	}
}

func revealAll(c *Config) []string {
	out := []string{c.Notify.SMTP.Password.Reveal(), c.Web.BasicAuth.Password.Reveal()}
	for _, s := range c.Sources {
		out = append(out, s.Password.Reveal(), s.Token.Reveal(), s.Credentials.Reveal())
	}
	return out
}

func TestAliasesCannotMakeAShortFileExpandWithoutBound(t *testing.T) {
	ten := func(a string) string { return "[" + strings.Repeat("*"+a+", ", 9) + "*" + a + "]" }
	// Five levels of ten merges each: 100,000 copies of one key.
	bomb := "<<: {<<: " + ten("d") + "}\n"
	bomb = strings.Replace(bomb, "*d", "&d {<<: "+ten("c")+"}", 1)
	bomb = strings.Replace(bomb, "*c", "&c {<<: "+ten("b")+"}", 1)
	bomb = strings.Replace(bomb, "*b", "&b {<<: "+ten("a")+"}", 1)
	bomb = strings.Replace(bomb, "*a", "&a {<<: [&z {listen: x}, *z, *z, *z, *z, *z, *z, *z, *z, *z]}", 1)

	for _, tc := range []struct{ name, yaml, want string }{
		{"a mapping merging itself", "<<: &a {<<: [*a, *a, *a]}\n", "config: line 1: << merges a mapping into itself"},
		{"merges of merges", bomb, "config: line 1: more than 100000 values: do aliases expand too much?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), ".", noEnv)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
}
