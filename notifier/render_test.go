package notifier

import (
	"bytes"
	"flag"
	"fmt"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapport-dev/rapport/analyzer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, firstDiff(string(got), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}

func TestEveryExampleRendersAsInItsGoldenFiles(t *testing.T) {
	tm := DefaultTemplates()
	for _, ex := range Examples() {
		t.Run(ex.Name, func(t *testing.T) {
			r, err := tm.Render(ex.Email, ex.Context)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, ex.Name+".txt.golden", []byte("Subject: "+r.Subject+"\n\n"+r.Text))
			golden(t, ex.Name+".html.golden", []byte(r.HTML))
		})
	}
}

func TestAWholeMessageIsStableAndAsInItsGoldenFile(t *testing.T) {
	ex := exampleNamed(t, "batched")
	r, err := DefaultTemplates().Render(ex.Email, ex.Context)
	if err != nil {
		t.Fatal(err)
	}
	m := newMessage(ex.Email, r, ex.Context.From, "Alex Morgan")
	eml, err := m.EML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "batched.eml.golden", eml)
	// Rendering the same decision again is the same message, byte for byte.
	r2, _ := DefaultTemplates().Render(ex.Email, ex.Context)
	again, _ := newMessage(ex.Email, r2, ex.Context.From, "Alex Morgan").EML()
	if !bytes.Equal(eml, again) {
		t.Error("a re-render differs")
	}
}

func exampleNamed(t *testing.T, name string) Example {
	t.Helper()
	for _, ex := range Examples() {
		if ex.Name == name {
			return ex
		}
	}
	t.Fatalf("no example %q", name)
	return Example{}
}

func TestEverySignalHasItsOwnConcreteSuggestion(t *testing.T) {
	seen := map[string]string{}
	for name := range analyzer.Penalties {
		g, ok := guide[name]
		if !ok || g.Label == "" || g.Why == "" || g.Try == "" {
			t.Errorf("%s: no full guidance: %+v", name, g)
			continue
		}
		if strings.Count(strings.TrimSuffix(g.Why, "."), ". ") > 0 {
			t.Errorf("%s: why it matters is more than one sentence: %q", name, g.Why)
		}
		if other, dup := seen[g.Try]; dup {
			t.Errorf("%s and %s give the same suggestion", name, other)
		}
		seen[g.Try] = name
	}
	for _, c := range []struct{ signal, mentions string }{
		{analyzer.SignalRescheduleRate, "written update"},
		{analyzer.SignalShortened, "full time"},
		{analyzer.SignalSkipRate, "even when"},
		{analyzer.SignalFallingCadence, "Agree the rhythm"},
		{analyzer.SignalNoAgenda, "own a shared, written agenda"},
		{analyzer.SignalOverdue, "calendar now"},
		{analyzer.SignalNothingScheduled, "calendar now"},
	} {
		if !strings.Contains(guide[c.signal].Try, c.mentions) {
			t.Errorf("%s: suggestion %q does not mention %q", c.signal, guide[c.signal].Try, c.mentions)
		}
	}
}

// hostile is calendar data written to attack the email: a name and a title
// with CRLF, a header of their own and script.
const hostile = "Eve\r\nBcc: victim@example.com\r\n\r\n<script>alert(1)</script>"

func hostileExample(t *testing.T) Example {
	ex := exampleNamed(t, analyzer.SignalSkipRate)
	ex.Context.Directory.Names = map[string]string{exSam: hostile, exManager: hostile}
	ex.Context.Directory.Series = map[string]Series{"sam-weekly": {Title: hostile + strings.Repeat(" very long title", 40)}}
	return ex
}

func TestHostileNamesAndTitlesStayInertInEveryPart(t *testing.T) {
	ex := hostileExample(t)
	r, err := DefaultTemplates().Render(ex.Email, ex.Context)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(r.Subject, "\r\n") || len([]rune(r.Subject)) > maxSubject {
		t.Errorf("subject %q: a line break or over %d characters", r.Subject, maxSubject)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") {
		t.Error("the HTML part does not escape a title's markup")
	}
	if strings.Contains(r.Text, "\r") || strings.Contains(r.Text, "\nBcc:") {
		t.Error("the text part carries the title's line breaks")
	}
	if strings.Contains(r.Text, "very long title very long title very long title very long title very long title") {
		t.Error("a long title is not cut")
	}

	eml, err := newMessage(ex.Email, r, ex.Context.From, ex.Context.Directory.Name(exManager)).EML()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	if bcc := msg.Header.Get("Bcc"); bcc != "" {
		t.Errorf("a Bcc header: %q", bcc)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != exManager {
		t.Errorf("To = %v, %v; want only %s", to, err, exManager)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || strings.ContainsAny(subject, "\r\n") {
		t.Errorf("Subject = %q, %v", subject, err)
	}
	checkMultipart(t, msg)
}

// checkMultipart asserts a message is multipart/alternative with a plain
// text and an HTML part, in that order, and returns their decoded bodies.
func checkMultipart(t *testing.T, msg *mail.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			break
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(p); err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		switch ct {
		case "text/plain":
			text = b.String()
		case "text/html":
			html = b.String()
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Fatalf("parts %v, want text/plain then text/html", types)
	}
	return text, html
}

func TestMessageIDsAreStableAndDistinct(t *testing.T) {
	from := "Rapport <rapport@example.com>"
	a := Email{Kind: KindNudge, To: mgr, Period: "2026-03-02", Pairs: []PairNote{{Pair: pair(mgr, ann, "skip_rate"), Change: ChangeDrift, Signals: pair(mgr, ann, "skip_rate").Signals}}}
	b := a
	b.Period = "2026-03-03"
	c := a
	c.To = mgr2
	d := Email{Kind: KindDigest, To: mgr, Period: "2026-W10"}
	ids := map[string]bool{}
	for _, e := range []Email{a, b, c, d} {
		id := messageID(e, from)
		if ids[id] {
			t.Errorf("%s: a Message-ID twice", id)
		}
		ids[id] = true
		if !strings.HasSuffix(id, "@example.com") {
			t.Errorf("%s: not in the sender's domain", id)
		}
		if _, err := mail.ParseAddress("<" + id + ">"); err != nil {
			t.Errorf("%s: not an addr-spec: %v", id, err)
		}
	}
	if messageID(a, from) != messageID(a, from) {
		t.Error("the Message-ID of one email changes")
	}
	if got := messageID(a, "Rapport <rapport@bad_domain\x00>"); !strings.HasSuffix(got, "@rapport.invalid") {
		t.Errorf("a bad sender domain is used: %s", got)
	}
}

func TestTemplatesCanBeOverriddenFromADirectory(t *testing.T) {
	dir := t.TempDir()
	custom := `{{define "nudge.subject"}}[1:1] {{len .Drifting}} to look at{{end}}{{define "nudge.text"}}Hi {{.To.Name}}: {{range .Drifting}}{{.Report.Name}} {{end}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "nudge.txt"), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	tm, err := LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	ex := exampleNamed(t, "batched")
	r, err := tm.Render(ex.Email, ex.Context)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[1:1] 2 to look at" || r.Text != "Hi Alex Morgan: Sam Rivera Jo Okafor " {
		t.Errorf("subject %q, text %q", r.Subject, r.Text)
	}
	if !strings.Contains(r.HTML, "Sam Rivera") {
		t.Error("the HTML part is no longer the embedded one")
	}

	for _, c := range []struct{ file, body, want string }{
		{"nudge.txt", `{{define "nudge.subject"}}x{{end}}{{define "nudge.text"}}{{.Nope}}{{end}}`, "Nope"},
		{"nudge.txt", `{{define "nudge.text"}}x{{end}}`, "nudge.subject"},
		{"digest.html", `{{define "digest.html"}}{{if}}{{end}}`, "digest.html"},
		{"nudge.htm.txt", `x`, "not a template name"},
	} {
		bad := t.TempDir()
		if err := os.WriteFile(filepath.Join(bad, c.file), []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadTemplates(bad); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LoadTemplates = %v, want an error about %q", c.file, err, c.want)
		}
	}
}

func TestCleanMakesUntrustedTextOneSafeLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Alice", "Alice"},
		{"  Alice \t Berger\r\n", "Alice Berger"},
		{"a\r\nBcc: x@y", "a Bcc: x@y"},
		{"bidi\u202Eevil\u200B", "bidievil"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{strings.Repeat("x", 70), strings.Repeat("x", 63) + "…"},
	} {
		if got := Clean(c.in, maxName); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
