package daemon

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rapport-dev/rapport/analyzer"
	"github.com/rapport-dev/rapport/calendar"
	"github.com/rapport-dev/rapport/cycle"
	"github.com/rapport-dev/rapport/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fakeClock is a Clock that moves only when the test sets it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// Set moves the clock to t and fires every timer due by then.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		panic("fakeClock: time goes forward only")
	}
	c.now = t
	sort.SliceStable(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			keep = append(keep, w)
			continue
		}
		w.ch <- t
	}
	c.waiters = keep
}

// fakeSource is a calendar source whose behaviour the test scripts.
type fakeSource struct {
	name  string
	clock *fakeClock

	mu    sync.Mutex
	calls []time.Time
	// version is the event's version: changing it changes the event.
	version int
	// hang blocks Sync until its context ends; stuck blocks it until the
	// channel is closed, whatever the context; gate blocks it until a
	// value arrives, then syncs normally.
	hang  bool
	stuck chan struct{}
	gate  chan struct{}
	// started receives each call, when set.
	started chan string
}

var _ calendar.Source = (*fakeSource)(nil)

func (s *fakeSource) Sync(ctx context.Context, _ map[string]string) ([]calendar.Changes, error) {
	s.mu.Lock()
	s.calls = append(s.calls, s.clock.Now())
	hang, stuck, gate, version, started := s.hang, s.stuck, s.gate, s.version, s.started
	s.mu.Unlock()
	if started != nil {
		started <- s.name
	}
	switch {
	case hang:
		<-ctx.Done()
		return nil, ctx.Err()
	case stuck != nil:
		<-stuck
		return nil, errors.New("fake: stuck, then gave up")
	case gate != nil:
		<-gate
	}
	start := t0.Add(-24 * time.Hour)
	ev := calendar.Event{
		UID: s.name + "-1on1", Summary: "1:1", Organizer: "alice@example.com",
		Start: start, End: start.Add(time.Duration(30+version) * time.Minute),
		Attendees: []calendar.Attendee{
			{Email: "alice@example.com", Status: calendar.PartStatAccepted},
			{Email: "bob@example.com", Status: calendar.PartStatAccepted},
		},
	}
	return []calendar.Changes{{
		Calendar: calendar.Calendar{ID: s.name, Owner: "alice@example.com"},
		Full:     true, WholeSeries: true, Events: []calendar.Event{ev}, Cursor: "c",
	}}, nil
}

func (s *fakeSource) set(f func(s *fakeSource)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// callCount returns how many times Sync was called.
func (s *fakeSource) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// recorder is the Observer, a Publisher and the Notifier of the tests.
type recorder struct {
	clock *fakeClock

	mu         sync.Mutex
	syncs      []cycle.SyncResult
	syncedAt   []time.Time
	cycles     []error
	configured []error
	published  []time.Duration // report time relative to t0
	notified   []time.Duration
	notifyErr  error
	notifyGate chan struct{} // blocks Notify until closed or its context ends
}

func (r *recorder) Synced(res cycle.SyncResult, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.syncs = append(r.syncs, res)
	r.syncedAt = append(r.syncedAt, at)
}

func (r *recorder) Cycled(_ time.Duration, err error, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cycles = append(r.cycles, err)
}

func (r *recorder) Configured(_ []string, err error, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.configured = append(r.configured, err)
}

func (r *recorder) Publish(rep analyzer.Report) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published = append(r.published, rep.GeneratedAt.Sub(t0))
}

func (r *recorder) Notify(ctx context.Context, rep analyzer.Report, now time.Time) error {
	r.mu.Lock()
	gate, err := r.notifyGate, r.notifyErr
	r.notified = append(r.notified, now.Sub(t0))
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// starts returns when the schedule started each finished sync of source,
// relative to t0.
func (r *recorder) starts(source string) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for i, s := range r.syncs {
		if s.Source == source {
			out = append(out, r.syncedAt[i].Add(-s.Duration).Sub(t0))
		}
	}
	return out
}

// failures returns the errors of the syncs of source, in order.
func (r *recorder) failures(source string) []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []error
	for _, s := range r.syncs {
		if s.Source == source && s.Err != nil {
			out = append(out, s.Err)
		}
	}
	return out
}

func (r *recorder) publishedAt() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.published)
}

func (r *recorder) configuredErrs() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.configured)
}

// harness runs a Daemon on a fake clock, a real SQLite store and scripted
// plans.
type harness struct {
	t      *testing.T
	clock  *fakeClock
	store  *store.Store
	rec    *recorder
	parked chan parkState
	reload chan struct{}
	d      *Daemon
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned, with runErr set
	runErr error

	mu    sync.Mutex
	plans []func() (Plan, error) // the next loads; the last one repeats

	last parkState // the last park waitPark returned
}

func newHarness(t *testing.T, opts Options, plans ...func() (Plan, error)) *harness {
	t.Helper()
	clock := newFakeClock(t0)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "rapport.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{
		t: t, clock: clock, store: st,
		rec:    &recorder{clock: clock},
		parked: make(chan parkState, 100000),
		reload: make(chan struct{}),
		done:   make(chan struct{}),
		plans:  plans,
	}
	opts.Store = st
	opts.Clock = clock
	opts.Observer = h.rec
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Load = h.load
	opts.parked = func(p parkState) { h.parked <- p }
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	return h
}

func (h *harness) load(context.Context) (Plan, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := h.plans[0]
	if len(h.plans) > 1 {
		h.plans = h.plans[1:]
	}
	p, err := next()
	p.Publishers = append(p.Publishers, h.rec)
	return p, err
}

// plan makes a plan of sources that all have interval and timeout.
func (h *harness) plan(interval, timeout time.Duration, sources ...*fakeSource) func() (Plan, error) {
	return func() (Plan, error) {
		p := Plan{Settings: analyzer.DefaultSettings(), Retention: 400 * 24 * time.Hour}
		for _, s := range sources {
			p.Sources = append(p.Sources, Source{
				Source:   cycle.Source{Name: s.name, Source: s, Timeout: timeout},
				Interval: interval,
			})
		}
		return p, nil
	}
}

func (h *harness) source(name string) *fakeSource { return &fakeSource{name: name, clock: h.clock} }

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		h.runErr = h.d.Run(ctx, h.reload)
		close(h.done)
	}()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// waitPark waits until the schedule waits in a state that satisfies ok.
func (h *harness) waitPark(what string, ok func(parkState) bool) parkState {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	var seen []parkState
	for {
		select {
		case p := <-h.parked:
			if ok(p) {
				h.last = p
				return p
			}
			seen = append(seen, p)
		case <-h.done:
			h.t.Fatalf("Run returned while waiting for %s: %v", what, h.runErr)
		case <-timeout:
			for _, p := range seen {
				h.t.Logf("parked at %s: wake %s, busy %d, running %v, analyzing %v, dirty %v", p.now.Sub(t0), p.wake.Sub(t0), p.busy, p.running, p.analyzing, p.dirty)
			}
			h.t.Fatalf("the schedule never waited %s (clock at %s)", what, h.clock.Now().Sub(t0))
		}
	}
}

func idle(p parkState) bool { return p.busy == 0 && !p.analyzing }

// only is a park predicate: nothing runs but the named sources' syncs.
func only(names ...string) func(parkState) bool {
	return func(p parkState) bool { return !p.analyzing && slices.Equal(p.running, names) }
}

// runUntil steps the clock from one wake to the next, each time the
// schedule is idle, until end.
func (h *harness) runUntil(end time.Duration) {
	h.t.Helper()
	p := h.last
	if !idle(p) || p.now.IsZero() || !p.now.Equal(h.clock.Now()) {
		p = h.waitPark("idle", idle)
	}
	for {
		if p.wake.IsZero() || p.wake.After(t0.Add(end)) {
			return
		}
		h.clock.Set(p.wake)
		p = h.waitPark("idle", idle)
	}
}

// stop cancels Run and waits for it to return.
func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	h.wait()
}

func (h *harness) wait() {
	h.t.Helper()
	select {
	case <-h.done:
		if h.runErr != nil {
			h.t.Fatalf("Run: %v", h.runErr)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return")
	}
}

func minutes(ms ...float64) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m * float64(time.Minute))
	}
	return out
}
