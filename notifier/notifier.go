package notifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/retry"
	"github.com/rapport-dev/rapport/store"
)

// LogStore is what deciding needs from the store: the notification log,
// and a way to write emails together with the marks that record them.
type LogStore interface {
	NotifyLog(ctx context.Context, since, now time.Time) (store.NotifyLog, error)
	Enqueue(ctx context.Context, msgs []store.OutboxMessage, marks []store.Mark) (int, error)
}

// Outbox is what delivering needs from the store.
type Outbox interface {
	Due(ctx context.Context, now time.Time, limit int) ([]store.OutboxMessage, error)
	MarkSent(ctx context.Context, id int64, at time.Time) error
	RecordAttempt(ctx context.Context, id int64, a store.Attempt) error
}

// Store is the notifier's durable memory. When it also has
// PruneOutbox(ctx, before) (as *store.Store does), each cycle removes sent
// and failed messages older than Options.Keep.
type Store interface {
	LogStore
	Outbox
}

type pruner interface {
	PruneOutbox(ctx context.Context, before time.Time) (int, error)
}

// Sender delivers one message. It returns an error marked with
// retry.Permanent when trying again cannot help (the server refused the
// recipient or the message); any other error is retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Options configure a Notifier.
type Options struct {
	Policy Policy
	// From is the sender, e.g. "Rapport <rapport@example.com>". Required.
	From string
	// Templates render the emails; nil means DefaultTemplates.
	Templates *Templates
	// Store is where the log and the outbox live. Required.
	Store Store
	// Sender delivers; nil leaves messages pending in the outbox.
	Sender Sender
	// Retry is how one delivery is retried within a cycle. Zero: three
	// attempts over a few seconds.
	Retry retry.Policy
	// Backoff spaces the cycles' attempts at a message that keeps failing.
	// Zero: from a minute up to an hour.
	Backoff retry.Policy
	// GiveUpAfter is how long after its NotBefore a message that cannot be
	// delivered is kept trying; then it is marked failed. Default 48h.
	GiveUpAfter time.Duration
	// Keep is how long sent and failed messages stay listed. Default 90 days.
	Keep time.Duration
	// WindowDays is the analysis window, quoted in the emails. Default 84.
	WindowDays int
	Logger     *slog.Logger
}

// Notifier turns findings into emails: it decides with the pure policy,
// renders, writes the emails and the marks that record them to the store
// in one transaction, and then delivers what is due. Like alertmanager's
// notification pipeline, deciding ("already sent?") and delivering
// (retries) are separate stages joined by the durable outbox, so a restart
// neither loses an email nor sends one twice — except in the unavoidable
// moment between a server accepting a message and the store marking it.
type Notifier struct {
	policy    Policy
	from      string
	templates *Templates
	store     Store
	sender    Sender
	retry     retry.Policy
	backoff   retry.Policy
	giveUp    time.Duration
	keep      time.Duration
	window    int
	logger    *slog.Logger
}

// logHorizon is how far back the policy looks at queued emails: a week's
// digest plus its grace, and the daily nudges within it.
const logHorizon = 14 * 24 * time.Hour

// deliverBatch is how many due messages are read at a time.
const deliverBatch = 50

// New makes a Notifier, checking its options.
func New(o Options) (*Notifier, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("notifier: Options.Store is required")
	case o.From == "":
		return nil, errors.New("notifier: Options.From is required")
	}
	if _, err := parseAddress(o.From); err != nil {
		return nil, fmt.Errorf("notifier: Options.From: %q: %w", Clean(o.From, 100), err)
	}
	if err := o.Retry.Validate(); err != nil {
		return nil, fmt.Errorf("notifier: Options.Retry: %w", err)
	}
	if err := o.Backoff.Validate(); err != nil {
		return nil, fmt.Errorf("notifier: Options.Backoff: %w", err)
	}
	n := &Notifier{
		policy: o.Policy, from: o.From, templates: o.Templates, store: o.Store, sender: o.Sender,
		retry: o.Retry, backoff: o.Backoff, giveUp: o.GiveUpAfter, keep: o.Keep, window: o.WindowDays, logger: o.Logger,
	}
	if n.templates == nil {
		n.templates = DefaultTemplates()
	}
	if n.retry.Attempts == 0 && n.retry.Base == 0 && n.retry.Max == 0 {
		n.retry.Attempts, n.retry.Base, n.retry.Max = 3, time.Second, 5*time.Second
	}
	if n.backoff.Base == 0 && n.backoff.Max == 0 {
		n.backoff.Base, n.backoff.Max = time.Minute, time.Hour
	}
	if n.giveUp <= 0 {
		n.giveUp = 48 * time.Hour
	}
	if n.keep <= 0 {
		n.keep = 90 * 24 * time.Hour
	}
	if n.window <= 0 {
		n.window = 84
	}
	if n.logger == nil {
		n.logger = slog.New(slog.DiscardHandler)
	}
	return n, nil
}

// Result counts what a cycle did.
type Result struct {
	Queued   int // new emails in the outbox
	Sent     int
	Retrying int // failed for now, to be tried again
	Failed   int // given up on
}

func (r Result) add(o Result) Result {
	return Result{r.Queued + o.Queued, r.Sent + o.Sent, r.Retrying + o.Retrying, r.Failed + o.Failed}
}

// Plan decides and renders the emails due at now, without writing
// anything: it is what a dry run shows.
func (n *Notifier) Plan(ctx context.Context, f Findings, now time.Time) (Plan, []Message, error) {
	sl, err := n.store.NotifyLog(ctx, now.Add(-logHorizon), now)
	if err != nil {
		return Plan{}, nil, fmt.Errorf("notifier: %w", err)
	}
	plan := Decide(Input{Now: now, Findings: f, Log: logFrom(sl), Policy: n.policy})
	msgs := make([]Message, 0, len(plan.Emails))
	rc := RenderContext{From: n.from, Directory: f.Directory, Cooldown: n.policy.withDefaults().Cooldown, WindowDays: n.window}
	for _, e := range plan.Emails {
		r, err := n.templates.Render(e, rc)
		if err != nil {
			return Plan{}, nil, err
		}
		name := f.Directory.Name(e.To)
		if name == e.To {
			name = ""
		}
		msgs = append(msgs, newMessage(e, r, n.from, name))
	}
	return plan, msgs, nil
}

// Cycle decides, queues and delivers: the notifier's part of a cycle.
func (n *Notifier) Cycle(ctx context.Context, f Findings, now time.Time) (Result, error) {
	plan, msgs, err := n.Plan(ctx, f, now)
	if err != nil {
		return Result{}, err
	}
	rows := make([]store.OutboxMessage, len(msgs))
	for i, m := range msgs {
		data, err := m.encode()
		if err != nil {
			return Result{}, fmt.Errorf("notifier: encode %s: %w", m.ID, err)
		}
		rows[i] = store.OutboxMessage{MessageID: m.ID, Recipient: m.To, Kind: string(m.Kind), Period: m.Period,
			Subject: m.Subject, Data: data, CreatedAt: now, NotBefore: m.NotBefore}
	}
	var res Result
	if len(rows) > 0 || len(plan.Marks) > 0 {
		res.Queued, err = n.store.Enqueue(ctx, rows, marksTo(plan.Marks))
		if err != nil {
			return Result{}, fmt.Errorf("notifier: %w", err)
		}
	}
	for _, m := range msgs {
		n.logger.Debug("notifier: queued", "message_id", m.ID, "kind", m.Kind, "not_before", m.NotBefore)
	}
	d, err := n.Deliver(ctx, now)
	res = res.add(d)
	if err != nil {
		return res, err
	}
	if p, ok := n.store.(pruner); ok {
		if _, err := p.PruneOutbox(ctx, now.Add(-n.keep)); err != nil {
			n.logger.Warn("notifier: pruning the outbox failed", "err", err)
		}
	}
	return res, nil
}

// Deliver sends the outbox's messages that are due at now. A message that
// fails is retried (Options.Retry), then left pending with a later next
// attempt (Options.Backoff), and marked failed when the server refuses it
// for good or GiveUpAfter has passed.
func (n *Notifier) Deliver(ctx context.Context, now time.Time) (Result, error) {
	var res Result
	if n.sender == nil {
		return res, nil
	}
	for {
		due, err := n.store.Due(ctx, now, deliverBatch)
		if err != nil {
			return res, fmt.Errorf("notifier: %w", err)
		}
		for _, m := range due {
			r, err := n.deliverOne(ctx, m, now)
			res = res.add(r)
			if err != nil {
				return res, err
			}
		}
		if len(due) < deliverBatch {
			return res, nil
		}
	}
}

func (n *Notifier) deliverOne(ctx context.Context, row store.OutboxMessage, now time.Time) (Result, error) {
	log := n.logger.With("message_id", row.MessageID, "kind", row.Kind)
	msg, err := decodeMessage(row.Data)
	if err == nil {
		err = retry.Do(ctx, n.retry, func(ctx context.Context) error { return n.sender.Send(ctx, msg) })
	} else {
		err = retry.Permanent(err)
	}
	if err == nil {
		if err := n.store.MarkSent(ctx, row.ID, now); err != nil {
			// Delivered, but not recorded: it may go out again.
			log.Error("notifier: sent, but marking it sent failed", "err", err)
			return Result{Sent: 1}, fmt.Errorf("notifier: %w", err)
		}
		log.Debug("notifier: sent")
		return Result{Sent: 1}, nil
	}
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("notifier: delivering %s: %w", row.MessageID, err)
	}
	a := store.Attempt{At: now, Err: err.Error()}
	if retry.IsPermanent(err) || now.Sub(row.NotBefore) >= n.giveUp {
		a.Failed = true
	} else {
		a.Next = now.Add(max(n.backoff.Delay(row.Attempts, err), time.Second))
	}
	if rerr := n.store.RecordAttempt(ctx, row.ID, a); rerr != nil {
		return Result{}, fmt.Errorf("notifier: %w", rerr)
	}
	if a.Failed {
		log.Error("notifier: delivery failed for good", "attempts", row.Attempts+1, "err", err)
		return Result{Failed: 1}, nil
	}
	log.Warn("notifier: delivery failed, will retry", "next", a.Next, "err", err)
	return Result{Retrying: 1}, nil
}

func logFrom(sl store.NotifyLog) Log {
	var l Log
	for _, m := range sl.Marks {
		mk := Mark{Pair: analyzer.PairKey{Manager: m.Manager, Report: m.Report}, Key: m.Key, NotifiedAt: m.NotifiedAt, Cleared: m.Cleared}
		if m.Key == MarkBand {
			mk.Band = analyzer.Band(m.Value)
		}
		l.Marks = append(l.Marks, mk)
	}
	for _, q := range sl.Queued {
		l.Queued = append(l.Queued, Queued{To: q.Recipient, Kind: Kind(q.Kind), Period: q.Period})
	}
	for _, z := range sl.Snoozes {
		l.Snoozes = append(l.Snoozes, Snooze{Pair: analyzer.PairKey{Manager: z.Manager, Report: z.Report}, Until: z.Until, Reason: z.Reason})
	}
	return l
}

func marksTo(ms []Mark) []store.Mark {
	out := make([]store.Mark, len(ms))
	for i, m := range ms {
		out[i] = store.Mark{Manager: m.Pair.Manager, Report: m.Pair.Report, Key: m.Key, NotifiedAt: m.NotifiedAt, Cleared: m.Cleared}
		if m.Key == MarkBand {
			out[i].Value = string(m.Band)
		}
	}
	return out
}
