package notifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is a rendered email as the outbox keeps it: everything needed to
// build the same MIME message again, byte for byte.
type Message struct {
	// ID is the Message-ID without angle brackets. It is derived from the
	// recipient, kind, period and content, so rendering the same decision
	// again gives the same ID.
	ID        string    `json:"id"`
	From      string    `json:"from"` // e.g. "Rapport <rapport@example.com>"
	To        string    `json:"to"`   // the address alone
	ToName    string    `json:"to_name,omitempty"`
	Subject   string    `json:"subject"`
	Date      time.Time `json:"date"`
	Kind      Kind      `json:"kind"`
	Period    string    `json:"period"`
	NotBefore time.Time `json:"not_before"`
	Text      string    `json:"text"`
	HTML      string    `json:"html"`
}

func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in an address")
	}
	return mail.ParseAddress(s)
}

// messageID derives a Message-ID (RFC 5322 §3.6.4) from what the email is
// and says, in the sender's domain.
func messageID(e Email, from string) string {
	sum := sha256.Sum256([]byte(e.key()))
	domain := "rapport.invalid"
	if a, err := parseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && validDomain(d) {
			domain = strings.ToLower(d)
		}
	}
	return string(e.Kind) + "." + e.Period + "." + hex.EncodeToString(sum[:12]) + "@" + domain
}

func validDomain(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// newMessage renders an email into a Message.
func newMessage(e Email, r Rendered, from, toName string) Message {
	date := e.NotBefore.UTC().Truncate(time.Second)
	return Message{
		ID: messageID(e, from), From: from, To: e.To, ToName: Clean(toName, maxName),
		Subject: Clean(r.Subject, maxSubject), Date: date, Kind: e.Kind, Period: e.Period, NotBefore: e.NotBefore.UTC(),
		Text: r.Text, HTML: r.HTML,
	}
}

// encode and decodeMessage are the outbox's storage form.
func (m Message) encode() ([]byte, error) { return json.Marshal(m) }

func decodeMessage(data []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return Message{}, fmt.Errorf("notifier: an outbox message that does not decode: %w", err)
	}
	return m, nil
}

// Unsubscribe is the List-Unsubscribe target of a message (RFC 2369): a
// mail to the sender asking to be taken off.
func (m Message) Unsubscribe() string {
	a, err := parseAddress(m.From)
	if err != nil {
		return ""
	}
	return "mailto:" + a.Address + "?subject=unsubscribe"
}

// build makes the go-mail message. Every header is set from cleaned values
// through go-mail, which encodes them (RFC 2047) and never lets a value
// break a line; the Date, Message-ID and MIME boundary are fixed, so the
// same Message always gives the same bytes.
func (m Message) build() (*gomail.Msg, error) {
	from, err := parseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("notifier: sender %q: %w", Clean(m.From, 100), err)
	}
	to, err := parseAddress(m.To)
	if err != nil || to.Name != "" {
		return nil, fmt.Errorf("notifier: recipient %q is not an address", Clean(m.To, 300))
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithEncoding(gomail.EncodingQP), gomail.WithCharset(gomail.CharsetUTF8))
	if err := msg.FromFormat(Clean(from.Name, maxName), from.Address); err != nil {
		return nil, fmt.Errorf("notifier: sender: %w", err)
	}
	if err := msg.AddToFormat(Clean(m.ToName, maxName), to.Address); err != nil {
		return nil, fmt.Errorf("notifier: recipient: %w", err)
	}
	msg.Subject(Clean(m.Subject, maxSubject))
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDateWithValue(m.Date)
	sum := sha256.Sum256([]byte(m.ID))
	msg.SetBoundary("rapport-" + hex.EncodeToString(sum[:12]))
	msg.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("X-Rapport-Kind", string(m.Kind))
	if u := m.Unsubscribe(); u != "" {
		msg.SetListUnsubscribe(u)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// EML is the message in Internet Message Format (RFC 5322), as written to
// .eml files and sent over SMTP.
func (m Message) EML() ([]byte, error) {
	msg, err := m.build()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("notifier: write message %s: %w", m.ID, err)
	}
	return b.Bytes(), nil
}
