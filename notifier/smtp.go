package notifier

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/rapport-dev/rapport/config"
	"github.com/rapport-dev/rapport/retry"
)

// SMTPConfig is how to reach the mail server.
type SMTPConfig struct {
	Host string
	Port int
	// TLS is config.TLSStartTLS (STARTTLS, required: a server that does
	// not offer it is an error), config.TLSImplicit (TLS from the first
	// byte) or config.TLSNone.
	TLS string
	// Username and Password authenticate (the strongest mechanism the
	// server offers; PLAIN and LOGIN only over TLS).
	Username string
	Password string
	// TLSConfig overrides the TLS settings, e.g. to trust a private CA.
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each command. Default 30s.
	Timeout time.Duration
	// HELO is the name the client gives; default the host name.
	HELO string
}

// SMTPConfigFrom is the configured server.
func SMTPConfigFrom(s config.SMTP) SMTPConfig {
	return SMTPConfig{Host: s.Host, Port: s.Port, TLS: s.TLS, Username: s.Username, Password: s.Password.Reveal()}
}

// SMTP delivers through a mail server, one connection per message (a few
// emails a day do not need a pool).
type SMTP struct{ cfg SMTPConfig }

var _ Sender = (*SMTP)(nil)

// NewSMTP checks the configuration and makes the sender.
func NewSMTP(c SMTPConfig) (*SMTP, error) {
	switch {
	case c.Host == "":
		return nil, errors.New("notifier: smtp: Host is required")
	case c.Port < 1 || c.Port > 65535:
		return nil, fmt.Errorf("notifier: smtp: Port %d is out of range", c.Port)
	}
	switch c.TLS {
	case config.TLSStartTLS, config.TLSImplicit, config.TLSNone:
	default:
		return nil, fmt.Errorf("notifier: smtp: TLS %q is not starttls, tls or none", c.TLS)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.TLSConfig != nil {
		c.TLSConfig = c.TLSConfig.Clone()
		if c.TLSConfig.ServerName == "" {
			c.TLSConfig.ServerName = c.Host
		}
	}
	return &SMTP{cfg: c}, nil
}

// Send delivers one message. Refusals of the sender, recipient or message
// (5xx replies) are permanent; everything else (the server down, 4xx
// replies, authentication) is worth retrying.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := m.build()
	if err != nil {
		return retry.Permanent(err)
	}
	c := s.cfg
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(c.Timeout)}
	switch c.TLS {
	case config.TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case config.TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if c.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(c.TLSConfig))
	}
	if c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	if c.HELO != "" {
		opts = append(opts, gomail.WithHELO(c.HELO))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return retry.Permanent(fmt.Errorf("notifier: smtp: %w", err))
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		return nil // accepted; a failure to say goodbye does not matter
	}
	return classifySMTP(err)
}

func classifySMTP(err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("notifier: smtp: %w", err)
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		switch se.Reason {
		case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			return retry.Permanent(err)
		}
	}
	return err
}
