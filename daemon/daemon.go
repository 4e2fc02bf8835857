// Package daemon is Rapport's scheduler: it syncs each calendar source on
// its own interval (with jitter, at most Workers at a time, each bounded
// by its timeout), analyzes the store when a sync changed something or
// when enough time has passed for the answer to change, hands each report
// to its publishers (metrics, dashboard) and to the notifier, reloads its
// plan on request keeping the old one when the new one is invalid, and
// shuts down within a deadline.
//
// One goroutine owns the schedule; syncs and analyses run in their own
// goroutines and report back on channels, so a source that hangs holds
// one worker slot until its timeout, and never the schedule. Time comes
// from an injected Clock, so tests step through hours without sleeping.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/cycle"
)

// Clock is the daemon's time: Now, and a channel that receives once d has
// passed.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the wall clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Store is what the daemon needs from the store: what syncing and
// analyzing need, and pruning old history.
type Store interface {
	cycle.SyncStore
	cycle.EventReader
	Prune(ctx context.Context, before time.Time) (int, error)
}

// Notifier decides, from each new report, which emails to send, and sends
// them. The daemon calls it after every analysis; what is new, what is in
// cooldown and what waits for its send window is its business.
type Notifier interface {
	Notify(ctx context.Context, rep analyzer.Report, now time.Time) error
}

// Publisher receives every new report: the metrics, the dashboard.
// Publish must not block for long; the report must not be modified.
type Publisher interface {
	Publish(rep analyzer.Report)
}

// PublishFunc adapts a function to a Publisher.
type PublishFunc func(rep analyzer.Report)

// Publish calls f(rep).
func (f PublishFunc) Publish(rep analyzer.Report) { f(rep) }

// Observer is told what the daemon did, for metrics.
type Observer interface {
	// Synced reports one sync of a source, finished at at.
	Synced(res cycle.SyncResult, at time.Time)
	// Cycled reports one analysis cycle; err is nil when it succeeded.
	Cycled(took time.Duration, err error, at time.Time)
	// Configured reports a plan load: the first or a reload. With err nil,
	// sources are the configured source names.
	Configured(sources []string, err error, at time.Time)
}

// Source is one calendar source and its schedule.
type Source struct {
	cycle.Source
	// Interval is the time between two syncs; a random part of it (Jitter)
	// is added, so that sources configured alike do not all poll at once.
	Interval time.Duration
	// Version changes when the source's configuration changes: after a
	// reload, a changed source syncs at once instead of at its next turn.
	Version string
}

// Plan is what one configuration asks of the daemon. The Loader builds a
// new one on every reload.
type Plan struct {
	Sources  []Source
	Org      analyzer.Org
	Settings analyzer.Settings
	// Retention bounds the raw history kept; zero keeps everything.
	Retention time.Duration
	// Notifier may be nil: no emails.
	Notifier   Notifier
	Publishers []Publisher
}

// Loader loads the plan: once at start, and again on every reload.
type Loader func(ctx context.Context) (Plan, error)

// Defaults of Options.
const (
	DefaultWorkers         = 4
	DefaultJitter          = 0.1
	DefaultAnalyzeEvery    = 15 * time.Minute
	DefaultSettle          = 30 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
	// abandonGrace is how long a sync that outlived its timeout has, once
	// cancelled, to return before its worker slot is given back.
	abandonGrace = 5 * time.Second
	// pruneEvery is how often old history is pruned.
	pruneEvery = 6 * time.Hour
)

// Options configure a Daemon. Zero values mean the defaults.
type Options struct {
	Store Store  // required
	Load  Loader // required
	Clock Clock  // default SystemClock
	// Logger defaults to discarding.
	Logger   *slog.Logger
	Observer Observer // may be nil
	// Workers is how many syncs may run at once. Default 4.
	Workers int
	// Jitter is the largest share of a source's interval added at random
	// to each wait. Default 0.1; negative means none.
	Jitter float64
	// AnalyzeEvery is the longest time between two analyses: even without
	// new data the answer changes as now moves (days since the last 1:1,
	// upcoming slots that became held or skipped). Default 15m.
	AnalyzeEvery time.Duration
	// Settle is how long an analysis due to changed data waits for syncs
	// still running, so that one round of syncs makes one analysis.
	// Default 30s.
	Settle time.Duration
	// ShutdownTimeout bounds shutdown: for its first half running work may
	// finish; then it is cancelled, and what still runs at the end is
	// abandoned. Default 10s.
	ShutdownTimeout time.Duration
	// Rand returns a number in [0, 1) for the jitter. Default math/rand/v2.
	Rand func() float64

	// parked, for tests, is called each time the schedule waits.
	parked func(parkState)
}

// parkState is what the schedule looks like when it waits.
type parkState struct {
	now, wake time.Time // wake is zero when only an event can wake it
	busy      int       // worker slots in use
	running   []string  // sources with a sync under way, sorted
	analyzing bool
	dirty     bool
}

// Daemon runs the schedule. Create it with New and start it with Run.
type Daemon struct {
	opts Options
	log  *slog.Logger

	ready    atomic.Bool
	stopping atomic.Bool
}

// New checks opts and returns a Daemon.
func New(opts Options) (*Daemon, error) {
	if opts.Store == nil {
		return nil, errors.New("daemon: Options.Store: nil")
	}
	if opts.Load == nil {
		return nil, errors.New("daemon: Options.Load: nil")
	}
	if opts.Workers < 0 || opts.AnalyzeEvery < 0 || opts.Settle < 0 || opts.ShutdownTimeout < 0 {
		return nil, errors.New("daemon: Options: Workers, AnalyzeEvery, Settle and ShutdownTimeout must not be negative")
	}
	if opts.Jitter >= 1 {
		return nil, fmt.Errorf("daemon: Options.Jitter: %v is not under 1", opts.Jitter)
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Workers == 0 {
		opts.Workers = DefaultWorkers
	}
	switch {
	case opts.Jitter == 0:
		opts.Jitter = DefaultJitter
	case opts.Jitter < 0:
		opts.Jitter = 0
	}
	if opts.AnalyzeEvery == 0 {
		opts.AnalyzeEvery = DefaultAnalyzeEvery
	}
	if opts.Settle == 0 {
		opts.Settle = DefaultSettle
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	return &Daemon{opts: opts, log: opts.Logger}, nil
}

// Ready reports whether the daemon serves current findings: the first
// analysis is done and it is not shutting down. The store stays open for
// as long as Run runs.
func (d *Daemon) Ready() error {
	switch {
	case d.stopping.Load():
		return errors.New("daemon: shutting down")
	case !d.ready.Load():
		return errors.New("daemon: the first analysis has not finished yet")
	}
	return nil
}

// Run loads the plan and runs the schedule until ctx is cancelled, then
// shuts down within Options.ShutdownTimeout. Each receive on reload loads
// the plan again; an invalid plan is logged and the current one kept. Run
// returns an error only when the first plan cannot be loaded.
func (d *Daemon) Run(ctx context.Context, reload <-chan struct{}) error {
	plan, err := d.opts.Load(ctx)
	if err == nil {
		err = checkPlan(plan)
	}
	now := d.opts.Clock.Now()
	if err != nil {
		d.opts.Observer.Configured(nil, err, now)
		return fmt.Errorf("daemon: %w", err)
	}
	d.opts.Observer.Configured(names(plan), nil, now)
	// Work outlives ctx by up to the shutdown timeout: a sync or an email
	// under way should finish rather than be cut off by the signal.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	s := &schedule{
		d:        d,
		work:     work,
		results:  make(chan syncDone),
		analyzed: make(chan analysisDone),
		quit:     make(chan struct{}),
		dirty:    true, // the first analysis follows the first round of syncs
		since:    now,
	}
	defer close(s.quit)
	s.apply(plan, now)
	d.log.Info("daemon started", "sources", len(plan.Sources), "workers", d.opts.Workers)
	for {
		now := d.opts.Clock.Now()
		s.dispatch(now)
		s.maybeAnalyze(now)
		wake := s.wake(now)
		var timer <-chan time.Time
		if !wake.IsZero() {
			timer = d.opts.Clock.After(wake.Sub(now))
		}
		if d.opts.parked != nil {
			d.opts.parked(s.park(now, wake))
		}
		select {
		case <-ctx.Done():
			s.shutdown(cancelWork)
			return nil
		case _, ok := <-reload:
			if !ok {
				reload = nil // closed: no more reloads
				continue
			}
			s.reload(ctx)
		case r := <-s.results:
			s.synced(r)
		case a := <-s.analyzed:
			s.doneAnalyzing(a)
		case <-timer:
		}
	}
}

func checkPlan(p Plan) error {
	seen := map[string]bool{}
	for i, s := range p.Sources {
		switch {
		case s.Name == "":
			return fmt.Errorf("sources[%d]: no name", i)
		case seen[s.Name]:
			return fmt.Errorf("sources[%d]: %q: name used twice", i, s.Name)
		case s.Source.Source == nil:
			return fmt.Errorf("sources[%d]: %q: no source", i, s.Name)
		case s.Interval <= 0:
			return fmt.Errorf("sources[%d]: %q: interval %s is not positive", i, s.Name, s.Interval)
		case s.Timeout < 0:
			return fmt.Errorf("sources[%d]: %q: timeout %s is negative", i, s.Name, s.Timeout)
		}
		seen[s.Name] = true
	}
	return nil
}

func names(p Plan) []string {
	out := make([]string, len(p.Sources))
	for i, s := range p.Sources {
		out[i] = s.Name
	}
	return out
}

// schedule is the state of Run, owned by its goroutine.
type schedule struct {
	d        *Daemon
	work     context.Context
	results  chan syncDone
	analyzed chan analysisDone
	quit     chan struct{} // closed when Run returns: late results are dropped

	plan    Plan
	sources map[string]*sourceState
	busy    int // worker slots in use

	dirty        bool      // the store changed (or the plan) since the last analysis
	since        time.Time // when it became dirty
	analyzing    bool
	lastAnalysis time.Time // zero before the first
	retryAt      time.Time // after a failed analysis
	lastPrune    time.Time
}

type sourceState struct {
	src     Source
	next    time.Time
	running bool // a sync is under way, or abandoned and not yet returned
}

type syncDone struct {
	res       cycle.SyncResult
	at        time.Time
	abandoned bool // the slot is free, the sync still runs
	returned  bool // an abandoned sync finally returned
}

type analysisDone struct {
	at     time.Time
	err    error
	pruned bool
}

// apply makes p the plan. Sources that stay keep their turn, and a sync
// under way finishes before the next; new and changed sources are due now.
func (s *schedule) apply(p Plan, now time.Time) {
	old := s.sources
	s.plan = p
	s.sources = make(map[string]*sourceState, len(p.Sources))
	for _, src := range p.Sources {
		st := &sourceState{src: src, next: now}
		if o, ok := old[src.Name]; ok {
			st.running = o.running
			if o.src.Version == src.Version {
				st.next = o.next
				if limit := now.Add(src.Interval); st.next.After(limit) {
					st.next = limit // a shorter interval takes effect now
				}
			}
		}
		s.sources[src.Name] = st
	}
}

// dispatch starts the syncs that are due, earliest first, while worker
// slots are free.
func (s *schedule) dispatch(now time.Time) {
	if s.d.stopping.Load() {
		return
	}
	var due []*sourceState
	for _, st := range s.sources {
		if !st.running && !st.next.After(now) {
			due = append(due, st)
		}
	}
	slices.SortFunc(due, func(a, b *sourceState) int {
		return cmp.Or(a.next.Compare(b.next), cmp.Compare(a.src.Name, b.src.Name))
	})
	for _, st := range due {
		if s.busy >= s.d.opts.Workers {
			return
		}
		st.running = true
		s.busy++
		var timeout, abandon <-chan time.Time
		if t := st.src.Timeout; t > 0 {
			// Both timers start here, before the worker, so that a test
			// stepping the clock finds them set.
			timeout = s.d.opts.Clock.After(t)
			abandon = s.d.opts.Clock.After(t + abandonGrace)
		}
		go s.syncOne(st.src, now, timeout, abandon)
	}
}

// syncOne syncs one source and reports on s.results. The daemon, not
// cycle, enforces the timeout, on its clock; a sync that ignores the
// cancellation is abandoned abandonGrace later.
func (s *schedule) syncOne(src Source, started time.Time, timeout, abandon <-chan time.Time) {
	clock := s.d.opts.Clock
	log := s.d.log.With("source", src.Name)
	ctx, cancel := context.WithCancel(s.work)
	defer cancel()
	done := make(chan cycle.SyncResult, 1)
	go func() {
		c := src.Source
		c.Timeout = 0
		rs := cycle.Sync(ctx, s.d.opts.Store, []cycle.Source{c}, clock.Now, log)
		r := cycle.SyncResult{Source: src.Name, Err: ctx.Err()}
		if len(rs) == 1 {
			r = rs[0]
		}
		done <- r
	}()
	report := func(d syncDone) {
		d.at = clock.Now()
		d.res.Duration = d.at.Sub(started)
		select {
		case s.results <- d:
		case <-s.quit:
		}
	}
	var res cycle.SyncResult
	select {
	case res = <-done:
		report(syncDone{res: res})
		return
	case <-timeout:
	}
	cancel()
	select {
	case res = <-done:
		if res.Err != nil {
			res.Err = fmt.Errorf("daemon: source %q: timed out after %s: %w", src.Name, src.Timeout, res.Err)
		}
		report(syncDone{res: res})
		return
	case <-abandon:
	}
	err := fmt.Errorf("daemon: source %q: timed out after %s and did not stop within %s; abandoned until it returns", src.Name, src.Timeout, abandonGrace)
	report(syncDone{res: cycle.SyncResult{Source: src.Name, Err: err}, abandoned: true})
	<-done
	report(syncDone{res: cycle.SyncResult{Source: src.Name}, returned: true})
}

// synced records a finished (or abandoned) sync and schedules the next.
func (s *schedule) synced(r syncDone) {
	name := r.res.Source
	st := s.sources[name]
	if r.returned {
		// The slot was given back when the sync was abandoned.
		if st != nil {
			st.running = false
			s.d.log.Warn("an abandoned sync returned", "source", name)
		}
		return
	}
	s.busy--
	if st == nil {
		return // removed by a reload while it ran
	}
	if !r.abandoned {
		st.running = false
	}
	s.d.opts.Observer.Synced(r.res, r.at)
	if r.res.Err != nil {
		s.d.log.Error("sync failed", "source", name, "err", r.res.Err)
	}
	a := r.res.Applied
	if a.Inserted+a.Updated+a.Deleted > 0 && !s.dirty {
		s.dirty, s.since = true, r.at
	}
	if r.abandoned {
		st.next = r.at.Add(st.src.Interval)
	} else if !st.next.After(r.at) {
		j := time.Duration(s.d.opts.Jitter * s.d.opts.Rand() * float64(st.src.Interval))
		st.next = r.at.Add(st.src.Interval + j)
	}
}

// maybeAnalyze starts an analysis when one is due: after changes, once the
// syncs under way are done or Settle has passed; and AnalyzeEvery after
// the last one.
func (s *schedule) maybeAnalyze(now time.Time) {
	if s.analyzing || s.d.stopping.Load() || now.Before(s.retryAt) {
		return
	}
	due := s.dirty && (s.busy == 0 || !now.Before(s.since.Add(s.d.opts.Settle)))
	if !s.lastAnalysis.IsZero() && !now.Before(s.lastAnalysis.Add(s.d.opts.AnalyzeEvery)) {
		due = true
	}
	if !due {
		return
	}
	s.analyzing = true
	s.dirty = false
	prune := s.plan.Retention > 0 && (s.lastPrune.IsZero() || !now.Before(s.lastPrune.Add(pruneEvery)))
	go s.analyze(s.plan, now, prune)
}

// analyze runs one cycle: prune, analyze, publish, notify.
func (s *schedule) analyze(p Plan, now time.Time, prune bool) {
	clock := s.d.opts.Clock
	started := clock.Now()
	done := analysisDone{}
	if prune {
		if _, err := s.d.opts.Store.Prune(s.work, now.Add(-p.Retention)); err != nil {
			s.d.log.Error("pruning old history failed", "err", err)
		} else {
			done.pruned = true
		}
	}
	rep, err := cycle.Analyze(s.work, s.d.opts.Store, p.Org, p.Settings, now)
	if err == nil {
		for _, pub := range p.Publishers {
			pub.Publish(rep)
		}
		s.d.ready.Store(true)
		if p.Notifier != nil {
			if nerr := p.Notifier.Notify(s.work, rep, now); nerr != nil {
				err = fmt.Errorf("daemon: notifier: %w", nerr)
			}
		}
	}
	done.at = clock.Now()
	done.err = err
	s.d.opts.Observer.Cycled(done.at.Sub(started), err, done.at)
	if err != nil {
		s.d.log.Error("analysis cycle failed", "err", err)
	} else {
		s.d.log.Info("analyzed", "pairs", len(rep.Pairs), "teams", len(rep.Teams), "took", done.at.Sub(started))
	}
	select {
	case s.analyzed <- done:
	case <-s.quit:
	}
}

func (s *schedule) doneAnalyzing(a analysisDone) {
	s.analyzing = false
	s.lastAnalysis = a.at
	if a.pruned {
		s.lastPrune = a.at
	}
	// A failed analysis is retried after Settle, whatever failed: the
	// store can recover, and a notifier error must not hide new findings
	// for long.
	if a.err != nil {
		s.retryAt = a.at.Add(s.d.opts.Settle)
		if !s.dirty {
			s.dirty, s.since = true, a.at
		}
	}
}

// wake is when the schedule must next look: the next source due (when a
// slot is free), the end of Settle, the next periodic analysis. Zero means
// only an event (a result, a reload, shutdown) can change anything.
func (s *schedule) wake(now time.Time) time.Time {
	var t time.Time
	earliest := func(c time.Time) {
		if t.IsZero() || c.Before(t) {
			t = c
		}
	}
	if s.busy < s.d.opts.Workers {
		for _, st := range s.sources {
			if !st.running {
				earliest(st.next)
			}
		}
	}
	if !s.analyzing {
		if s.dirty {
			at := s.retryAt
			if s.busy > 0 {
				at = later(at, s.since.Add(s.d.opts.Settle))
			}
			earliest(later(at, now))
		}
		if !s.lastAnalysis.IsZero() {
			earliest(later(s.lastAnalysis.Add(s.d.opts.AnalyzeEvery), s.retryAt))
		}
	}
	return t
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// reload loads the plan again; an invalid one is logged and counted, and
// the current one stays.
func (s *schedule) reload(ctx context.Context) {
	p, err := s.d.opts.Load(ctx)
	if err == nil {
		err = checkPlan(p)
	}
	now := s.d.opts.Clock.Now()
	if err != nil {
		s.d.opts.Observer.Configured(nil, err, now)
		s.d.log.Error("reloading the configuration failed; keeping the current one", "err", err)
		return
	}
	s.d.opts.Observer.Configured(names(p), nil, now)
	s.apply(p, now)
	if !s.dirty {
		s.dirty, s.since = true, now // the org or the thresholds may have changed
	}
	s.d.log.Info("configuration reloaded", "sources", len(p.Sources))
}

// shutdown stops dispatching and waits for running work: for the first
// half of the timeout it may finish; then it is cancelled; at the end,
// what still runs is abandoned. The caller may close the store once it
// returns.
func (s *schedule) shutdown(cancelWork context.CancelFunc) {
	clock := s.d.opts.Clock
	s.d.stopping.Store(true)
	timeout := s.d.opts.ShutdownTimeout
	s.d.log.Info("shutting down", "syncs", s.busy, "analyzing", s.analyzing)
	cancelAt := clock.After(timeout / 2)
	deadline := clock.After(timeout)
	for s.busy > 0 || s.analyzing {
		if s.d.opts.parked != nil {
			s.d.opts.parked(s.park(clock.Now(), time.Time{}))
		}
		select {
		case r := <-s.results:
			s.synced(r)
		case a := <-s.analyzed:
			s.doneAnalyzing(a)
		case <-cancelAt:
			s.d.log.Warn("cancelling work still running", "syncs", s.busy, "analyzing", s.analyzing)
			cancelWork()
			cancelAt = nil
		case <-deadline:
			s.d.log.Error("abandoning work that did not stop", "syncs", s.busy, "analyzing", s.analyzing)
			return
		}
	}
	s.d.log.Info("stopped")
}

func (s *schedule) park(now, wake time.Time) parkState {
	p := parkState{now: now, wake: wake, busy: s.busy, analyzing: s.analyzing, dirty: s.dirty}
	for name, st := range s.sources {
		if st.running {
			p.running = append(p.running, name)
		}
	}
	slices.Sort(p.running)
	return p
}

type nopObserver struct{}

func (nopObserver) Synced(cycle.SyncResult, time.Time)     {}
func (nopObserver) Cycled(time.Duration, error, time.Time) {}
func (nopObserver) Configured([]string, error, time.Time)  {}
