package notifier

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
)

//go:embed templates
var embedded embed.FS

// TemplateFiles are the template files, each of which a file of the same
// name in the configured directory replaces. The .txt files are
// text/template and define the subject ("nudge.subject", "digest.subject")
// and the plain-text part ("nudge.text", "digest.text"); the .html files
// are html/template, which escapes everything they show, and define the
// HTML part ("nudge.html", "digest.html"). layout.txt and layout.html hold
// what the others share. The data are NudgeView and DigestView.
var TemplateFiles = []string{"layout.txt", "nudge.txt", "digest.txt", "layout.html", "nudge.html", "digest.html"}

// Templates render emails.
type Templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Rendered is an email's text.
type Rendered struct {
	Subject string // cleaned: one line, at most 120 characters
	Text    string
	HTML    string
}

// maxBody bounds either part of an email.
const maxBody = 512 << 10

var bandColors = map[string]htmltemplate.CSS{
	"healthy":  "#2da44e",
	"drifting": "#bf8700",
	"at risk":  "#cf222e",
}

func names(ps []PairView) string {
	ns := make([]string, len(ps))
	for i, p := range ps {
		ns[i] = p.Report.Name
	}
	return joinNames(ns)
}

var funcs = map[string]any{
	"lower": strings.ToLower,
	"join":  strings.Join,
	"names": names,
}

// LoadTemplates loads the embedded templates, replacing each with the file
// of the same name in dir when there is one (dir "" uses none). A file in
// dir ending in .txt or .html that is not a template name is an error, as
// it is most likely a misspelt one. The templates are tried on every
// example email, so that a broken override fails here rather than when an
// email is due.
func LoadTemplates(dir string) (*Templates, error) {
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("notifier: templates: %w", err)
		}
		for _, e := range entries {
			n := e.Name()
			if (strings.HasSuffix(n, ".txt") || strings.HasSuffix(n, ".html")) && !slices.Contains(TemplateFiles, n) {
				return nil, fmt.Errorf("notifier: templates: %s: not a template name (want one of %s)", filepath.Join(dir, n), strings.Join(TemplateFiles, ", "))
			}
		}
	}
	t := &Templates{
		text: texttemplate.New("").Funcs(funcs).Option("missingkey=error"),
		html: htmltemplate.New("").Funcs(funcs).Funcs(map[string]any{"bandColor": func(b string) htmltemplate.CSS {
			if c, ok := bandColors[b]; ok {
				return c
			}
			return "#6e7781"
		}}).Option("missingkey=error"),
	}
	for _, name := range TemplateFiles {
		data, where, err := readTemplate(dir, name)
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(name, ".txt") {
			_, err = t.text.New(name).Parse(string(data))
		} else {
			_, err = t.html.New(name).Parse(string(data))
		}
		if err != nil {
			return nil, fmt.Errorf("notifier: templates: %s: %w", where, err)
		}
	}
	for _, ex := range Examples() {
		if _, err := t.Render(ex.Email, ex.Context); err != nil {
			return nil, fmt.Errorf("notifier: templates: rendering the %s example: %w", ex.Name, err)
		}
	}
	return t, nil
}

func readTemplate(dir, name string) (data []byte, where string, err error) {
	if dir != "" {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err == nil {
			return data, path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, path, fmt.Errorf("notifier: templates: %w", err)
		}
	}
	data, err = embedded.ReadFile("templates/" + name)
	if err != nil {
		return nil, name, fmt.Errorf("notifier: templates: embedded %s: %w", name, err)
	}
	return data, "embedded " + name, nil
}

var defaultTemplates = sync.OnceValues(func() (*Templates, error) { return LoadTemplates("") })

// DefaultTemplates are the embedded templates.
func DefaultTemplates() *Templates {
	t, err := defaultTemplates()
	if err != nil {
		panic(err) // the embedded templates are tested
	}
	return t
}

// Render renders an email with its view.
func (t *Templates) Render(e Email, c RenderContext) (Rendered, error) {
	var prefix string
	var view any
	var setSubject func(string)
	switch e.Kind {
	case KindNudge:
		v := nudgeView(e, c)
		prefix, view, setSubject = "nudge", &v, func(s string) { v.Subject = s }
	case KindDigest:
		if e.Digest == nil {
			return Rendered{}, errors.New("notifier: render: a digest without content")
		}
		v := digestView(e, c)
		prefix, view, setSubject = "digest", &v, func(s string) { v.Subject = s }
	default:
		return Rendered{}, fmt.Errorf("notifier: render: unknown kind %q", e.Kind)
	}
	var out Rendered
	var b bytes.Buffer
	if err := t.text.ExecuteTemplate(&b, prefix+".subject", view); err != nil {
		return Rendered{}, fmt.Errorf("notifier: render %s subject: %w", prefix, err)
	}
	out.Subject = Clean(b.String(), maxSubject)
	if out.Subject == "" {
		out.Subject = "Rapport"
	}
	setSubject(out.Subject)
	b.Reset()
	if err := t.text.ExecuteTemplate(&b, prefix+".text", view); err != nil {
		return Rendered{}, fmt.Errorf("notifier: render %s text: %w", prefix, err)
	}
	out.Text = b.String()
	b.Reset()
	if err := t.html.ExecuteTemplate(&b, prefix+".html", view); err != nil {
		return Rendered{}, fmt.Errorf("notifier: render %s html: %w", prefix, err)
	}
	out.HTML = b.String()
	if len(out.Text) > maxBody || len(out.HTML) > maxBody {
		return Rendered{}, fmt.Errorf("notifier: render %s: over %d bytes", prefix, maxBody)
	}
	return out, nil
}
