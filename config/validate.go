package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// maxSecretSize bounds what a *_file may hold: a service-account key is a
// few kilobytes, and a mistyped path to a huge file or a device should fail
// rather than fill memory.
const maxSecretSize = 1 << 20

// resolve makes a relative path relative to the config file's directory.
func (l *loader) resolve(p *string) {
	if *p != "" && !filepath.IsAbs(*p) {
		*p = filepath.Join(l.dir, *p)
	}
}

func (l *loader) resolvePaths(c *Config) {
	l.resolve(&c.State)
	for i := range c.Sources {
		s := &c.Sources[i]
		for j, p := range s.Paths {
			if !strings.Contains(p, "://") {
				l.resolve(&s.Paths[j])
			}
		}
		l.resolve(&s.PasswordFile)
		l.resolve(&s.TokenFile)
		l.resolve(&s.CAFile)
		l.resolve(&s.CredentialsFile)
	}
	l.resolve(&c.Notify.Outbox)
	l.resolve(&c.Notify.Templates)
	l.resolve(&c.Notify.SMTP.PasswordFile)
	l.resolve(&c.Web.BasicAuth.PasswordFile)
}

func (l *loader) readSecrets(c *Config) {
	for i := range c.Sources {
		s, p := &c.Sources[i], indexPath("sources", i)
		l.readSecret(p+".password_file", s.PasswordFile, &s.Password)
		l.readSecret(p+".token_file", s.TokenFile, &s.Token)
		l.readSecret(p+".credentials_file", s.CredentialsFile, &s.Credentials)
	}
	l.readSecret("notify.smtp.password_file", c.Notify.SMTP.PasswordFile, &c.Notify.SMTP.Password)
	l.readSecret("web.basic_auth.password_file", c.Web.BasicAuth.PasswordFile, &c.Web.BasicAuth.Password)
}

// readSecret reads a secret file, dropping one trailing newline: editors
// and "echo" add one, and it is never part of a password.
func (l *loader) readSecret(path, file string, dst *Secret) {
	if file == "" {
		return
	}
	b, err := readLimited(file, maxSecretSize)
	if err != nil {
		l.errAt(path, err)
		return
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		l.errorf(path, "%s is empty", file)
		return
	}
	*dst = Secret{s}
}

func readLimited(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes; is it the right file?", file, limit)
	}
	return b, nil
}

func (l *loader) validate(c *Config) {
	if loc, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" {
		l.errorf("timezone", "unknown time zone %q (want an IANA name such as Europe/Berlin)", c.Timezone)
	} else {
		c.Location = loc
	}
	if c.State == "" {
		l.errorf("state", "must not be empty")
	}
	if c.Window < Duration(week) {
		l.errorf("window", "%s is shorter than a week", c.Window)
	}
	if c.Retention < 2*c.Window {
		l.errorf("retention", "%s is shorter than two windows (%s): the previous window could not be compared", c.Retention, 2*c.Window)
	}
	l.validateOrg(c)
	l.validateSources(c)
	l.validateNotify(&c.Notify)
	l.validateListen(c.Listen)
	l.validateWeb(&c.Web)
	switch c.Metrics.Labels {
	case LabelsPair, LabelsManager, LabelsTeam:
	default:
		l.errorf("metrics.labels", "unknown value %q (want pair, manager or team)", c.Metrics.Labels)
	}
	l.validateThresholds(&c.Thresholds)
}

func (l *loader) validateOrg(c *Config) {
	o := &c.Org
	if o.PrivacyMinGroup < 1 {
		l.errorf("org.privacy_min_group", "must be at least 1, got %d", o.PrivacyMinGroup)
	}
	switch o.Directory {
	case "":
	case "google":
		if !hasSourceType(c.Sources, TypeGoogle) {
			l.errorf("org.directory", `"google" needs a source of type google`)
		}
		if o.DirectoryAdmin == "" {
			l.errorf("org.directory_admin", `required with directory: google (a Workspace administrator's email)`)
		}
		l.email("org.directory_admin", &o.DirectoryAdmin)
	default:
		l.errorf("org.directory", `unknown directory %q (want "google", or leave it out)`, o.Directory)
	}
	if len(o.Teams) == 0 && !o.InferPairs && o.Directory == "" {
		l.errorf("org", "no pairs to track: list teams, set directory: google, or set infer_pairs: true")
	}

	type membership struct {
		team, manager string
	}
	teams := map[string]int{}
	reportsTo := map[string]membership{}
	for i := range o.Teams {
		t, p := &o.Teams[i], indexPath("org.teams", i)
		switch _, dup := teams[t.Name]; {
		case t.Name == "":
			l.errorf(p+".name", "required")
		case dup:
			l.errorf(p+".name", "duplicate team name %q", t.Name)
		default:
			teams[t.Name] = i
		}
		l.email(p+".manager", &t.Manager)
		if t.Manager == "" && len(t.Reports) > 0 {
			l.errorf(p+".manager", "required when the team has reports")
		}
		inTeam := map[string]bool{}
		for j := range t.Reports {
			rp := indexPath(p+".reports", j)
			if !l.email(rp, &t.Reports[j]) {
				continue
			}
			r := t.Reports[j]
			if t.Manager != "" && r == t.Manager {
				l.errorf(rp, "%q is the team's manager; a person is not their own report", r)
				continue
			}
			if inTeam[r] {
				l.errorf(rp, "%q is listed twice", r)
				continue
			}
			inTeam[r] = true
			if prev, ok := reportsTo[r]; ok {
				if prev.manager != t.Manager {
					l.errorf(rp, "%q has two managers: %s in team %q and %s in team %q", r, prev.manager, prev.team, t.Manager, t.Name)
				} else {
					l.errorf(rp, "%q is already a report in team %q", r, prev.team)
				}
				continue
			}
			reportsTo[r] = membership{team: t.Name, manager: t.Manager}
		}
		for j := range t.Leaders {
			l.email(indexPath(p+".leaders", j), &t.Leaders[j])
		}
	}
	for i, t := range o.Teams {
		if t.Parent == "" {
			continue
		}
		pp := indexPath("org.teams", i) + ".parent"
		if _, ok := teams[t.Parent]; !ok {
			l.errorf(pp, "unknown team %q", t.Parent)
			continue
		}
		// Follow the parents: a cycle would make privacy folding endless.
		// It is reported once, at the cycle's first team in the file.
		chain, first := []string{t.Name}, i
		for cur := t.Parent; cur != ""; cur = o.Teams[teams[cur]].Parent {
			chain = append(chain, cur)
			if cur == t.Name {
				if first == i {
					l.errorf(pp, "teams form a cycle: %s", strings.Join(chain, " → "))
				}
				break
			}
			if len(chain) > len(o.Teams) {
				break // a cycle further up; reported at its own teams
			}
			j, ok := teams[cur]
			if !ok {
				break // reported at that team
			}
			first = min(first, j)
		}
	}
}

func hasSourceType(sources []Source, typ string) bool {
	for _, s := range sources {
		if s.Type == typ {
			return true
		}
	}
	return false
}

// email checks that *s is a bare address and canonicalises it to lower
// case, the form people are matched by. Empty is left to the caller.
func (l *loader) email(path string, s *string) bool {
	if *s == "" {
		return false
	}
	a, err := mail.ParseAddress(*s)
	if err != nil || a.Name != "" || a.Address != *s {
		l.errorf(path, "%q is not an email address", *s)
		return false
	}
	*s = strings.ToLower(*s)
	return true
}

func (l *loader) validateSources(c *Config) {
	if len(c.Sources) == 0 {
		l.errorf("sources", "at least one source is required")
	}
	names := map[string]bool{}
	for i := range c.Sources {
		s, p := &c.Sources[i], indexPath("sources", i)
		switch {
		case s.Name == "":
			l.errorf(p+".name", "required")
		case !validName(s.Name):
			l.errorf(p+".name", "%q may contain only letters, digits, '.', '_' and '-', starting with a letter or digit", s.Name)
		case names[s.Name]:
			l.errorf(p+".name", "duplicate source name %q", s.Name)
		}
		names[s.Name] = true
		l.email(p+".owner", &s.Owner)
		if s.Interval <= 0 {
			l.errorf(p+".interval", "must be positive")
		}
		if s.Timeout <= 0 {
			l.errorf(p+".timeout", "must be positive")
		}
		if s.CAFile != "" {
			l.checkCAFile(p+".ca_file", s.CAFile)
		}
		notUsed := func(keys ...string) {
			for _, k := range keys {
				if l.set(p + "." + k) {
					l.errorf(p+"."+k, "not used by %s sources", s.Type)
				}
			}
		}
		switch s.Type {
		case TypeICS:
			if len(s.Paths) == 0 {
				l.errorf(p+".paths", "required for ics sources (files, directories or http(s) URLs)")
			}
			for j := range s.Paths {
				l.icsPath(indexPath(p+".paths", j), &s.Paths[j])
			}
			l.httpAuth(p, s)
			notUsed("url", "calendars", "auth", "credentials_file", "endpoint")
		case TypeCalDAV:
			if s.URL == "" {
				l.errorf(p+".url", "required for caldav sources")
			} else {
				l.httpURL(p+".url", s.URL)
			}
			l.httpAuth(p, s)
			notUsed("paths", "auth", "credentials_file", "endpoint")
		case TypeGoogle:
			l.google(p, s)
			notUsed("paths", "url", "username", "password_file", "token_file")
		case "":
			l.errorf(p+".type", "required (ics, caldav or google)")
		default:
			l.errorf(p+".type", "unknown type %q (want ics, caldav or google)", s.Type)
		}
	}
}

// validName keeps source names safe as metric label values, log keys and
// store keys.
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return s != ""
}

func (l *loader) httpAuth(p string, s *Source) {
	switch {
	case s.PasswordFile != "" && s.TokenFile != "":
		l.errorf(p+".token_file", "set password_file or token_file, not both")
	case s.PasswordFile != "" && s.Username == "":
		l.errorf(p+".username", "required with password_file")
	case s.Username != "" && s.PasswordFile == "":
		l.errorf(p+".password_file", "required with username")
	}
}

func (l *loader) google(p string, s *Source) {
	switch s.Auth {
	case AuthServiceAccount, AuthOAuth:
		if s.CredentialsFile == "" {
			l.errorf(p+".credentials_file", "required for auth %s", s.Auth)
		}
	case AuthNone:
	case "":
		l.errorf(p+".auth", "required for google sources (service_account, oauth or none)")
	default:
		l.errorf(p+".auth", "unknown auth %q (want service_account, oauth or none)", s.Auth)
	}
	if s.Auth != AuthServiceAccount {
		for j, cal := range s.Calendars {
			if cal == GoogleManagers {
				l.errorf(indexPath(p+".calendars", j), `"managers" needs auth service_account (domain-wide delegation)`)
			}
		}
	}
	if s.Endpoint != "" {
		l.httpURL(p+".endpoint", s.Endpoint)
	}
}

// icsPath checks a URL among an ics source's paths; webcal:// is how
// calendar apps publish subscriptions, and is plain https underneath.
func (l *loader) icsPath(path string, p *string) {
	if !strings.Contains(*p, "://") {
		return
	}
	u, err := url.Parse(*p)
	if err == nil && strings.EqualFold(u.Scheme, "webcal") {
		u.Scheme = "https"
		*p = u.String()
	}
	l.httpURL(path, *p)
}

func (l *loader) httpURL(path, s string) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		// url.Parse's message quotes the URL, which may hold a password.
		l.errorf(path, "must be an http or https URL")
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		l.errorf(path, "must be an http or https URL, got %q", u.Redacted())
	default:
		if _, ok := u.User.Password(); ok {
			l.errorf(path, "must not contain a password; use username and password_file")
		}
	}
}

func (l *loader) checkCAFile(path, file string) {
	b, err := readLimited(file, maxSecretSize)
	if err != nil {
		l.errAt(path, err)
		return
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		l.errorf(path, "%s holds no PEM certificate", file)
	}
}

func (l *loader) validateNotify(n *Notify) {
	sends := n.SMTP.Host != "" || n.Outbox != ""
	switch {
	case n.From == "" && sends:
		l.errorf("notify.from", "required to send email")
	case n.From != "":
		if _, err := mail.ParseAddress(n.From); err != nil {
			l.errorf("notify.from", "%q is not an email address (want e.g. \"Rapport <rapport@example.com>\")", n.From)
		}
	}
	s := &n.SMTP
	if s.Port < 1 || s.Port > 65535 {
		l.errorf("notify.smtp.port", "must be between 1 and 65535, got %d", s.Port)
	}
	switch s.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		l.errorf("notify.smtp.tls", "unknown value %q (want starttls, tls or none)", s.TLS)
	}
	switch {
	case s.Username != "" && s.PasswordFile == "":
		l.errorf("notify.smtp.password_file", "required with username")
	case s.Username == "" && s.PasswordFile != "":
		l.errorf("notify.smtp.username", "required with password_file")
	}
	if n.Cooldown <= 0 {
		l.errorf("notify.cooldown", "must be positive")
	}
	if n.SendWindow.End <= n.SendWindow.Start {
		l.errorf("notify.send_window.end", "%s is not after start %s", n.SendWindow.End, n.SendWindow.Start)
	}
	if n.Templates != "" {
		if fi, err := os.Stat(n.Templates); err != nil {
			l.errAt("notify.templates", err)
		} else if !fi.IsDir() {
			l.errorf("notify.templates", "%s is not a directory", n.Templates)
		}
	}
}

// validateListen accepts any host (empty: all interfaces) and ports 0 to
// 65535; port 0 asks for a free port, which tests of the daemon use.
func (l *loader) validateListen(addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 0 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil || strings.ContainsAny(host, " /") {
		l.errorf("listen", "%q is not host:port (e.g. 127.0.0.1:9464 or :9464)", addr)
	}
}

func (l *loader) validateWeb(w *Web) {
	b := &w.BasicAuth
	switch {
	case b.Username != "" && b.PasswordFile == "":
		l.errorf("web.basic_auth.password_file", "required with username")
	case b.Username == "" && b.PasswordFile != "":
		l.errorf("web.basic_auth.username", "required with password_file")
	}
	if w.TrustedHeader != "" {
		if !validHeaderName(w.TrustedHeader) {
			l.errorf("web.trusted_header", "%q is not an HTTP header name", w.TrustedHeader)
		}
		if b.Username != "" || b.PasswordFile != "" {
			l.errorf("web.trusted_header", "set basic_auth or trusted_header, not both")
		}
	}
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

func (l *loader) validateThresholds(t *Thresholds) {
	fraction := func(key string, v float64) {
		if v < 0 || v > 1 {
			l.errorf("thresholds."+key, "must be between 0 and 1 (a fraction: 0.3 is 30%%), got %v", v)
		}
	}
	fraction("reschedule_rate", t.RescheduleRate)
	fraction("shortened_rate", t.ShortenedRate)
	fraction("skip_rate", t.SkipRate)
	fraction("no_agenda_rate", t.NoAgendaRate)
	if t.ShortenedRatio <= 0 || t.ShortenedRatio > 1 {
		l.errorf("thresholds.shortened_ratio", "must be above 0 and at most 1 (held / planned duration), got %v", t.ShortenedRatio)
	}
	factor := func(key string, v float64) {
		if v < 1 {
			l.errorf("thresholds."+key, "must be at least 1 (a multiple of the interval, e.g. 1.5), got %v", v)
		}
	}
	factor("cadence_factor", t.CadenceFactor)
	factor("cadence_trend_factor", t.CadenceTrendFactor)
	if t.LateMoves < 1 {
		l.errorf("thresholds.late_moves", "must be at least 1, got %d", t.LateMoves)
	}
	if t.LateNotice <= 0 {
		l.errorf("thresholds.late_notice", "must be positive")
	}
	if t.MaxGap <= 0 {
		l.errorf("thresholds.max_gap", "must be positive")
	}
}
