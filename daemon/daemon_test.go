package daemon

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEachSourceSyncsOnItsOwnInterval(t *testing.T) {
	h := newHarness(t, Options{Jitter: -1}, nil)
	a, b := h.source("a"), h.source("b")
	h.plans[0] = func() (Plan, error) {
		p, _ := h.plan(5*time.Minute, 0, a)()
		q, _ := h.plan(20*time.Minute, 0, b)()
		p.Sources = append(p.Sources, q.Sources...)
		return p, nil
	}
	h.start()
	h.runUntil(time.Hour)
	if got, want := h.rec.starts("a"), minutes(0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60); !slices.Equal(got, want) {
		t.Errorf("a synced at %v, want %v", got, want)
	}
	if got, want := h.rec.starts("b"), minutes(0, 20, 40, 60); !slices.Equal(got, want) {
		t.Errorf("b synced at %v, want %v", got, want)
	}
}

func TestJitterAddsAtMostItsShareOfTheInterval(t *testing.T) {
	const interval = 10 * time.Minute
	for _, tc := range []struct {
		name   string
		jitter float64
		rand   func() float64
		gap    func(i int) (lo, hi time.Duration) // of the i-th wait
	}{
		{"no randomness adds nothing", 0.1, func() float64 { return 0 },
			func(int) (time.Duration, time.Duration) { return interval, interval }},
		{"the largest draw adds just under a tenth", 0.1, func() float64 { return 0.999999 },
			func(int) (time.Duration, time.Duration) { return interval + 59*time.Second, interval + time.Minute }},
		{"a quarter jitter at one half adds an eighth", 0.25, func() float64 { return 0.5 },
			func(int) (time.Duration, time.Duration) { return interval * 9 / 8, interval * 9 / 8 }},
		{"random draws stay in [interval, 1.1 interval)", 0.1, rand.New(rand.NewPCG(1, 2)).Float64,
			func(int) (time.Duration, time.Duration) { return interval, interval + time.Minute - 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: tc.jitter, Rand: tc.rand, AnalyzeEvery: 24 * time.Hour}, nil)
			a := h.source("a")
			h.plans[0] = h.plan(interval, 0, a)
			h.start()
			h.runUntil(12 * time.Hour)
			calls := h.rec.starts("a")
			if len(calls) < 60 {
				t.Fatalf("only %d syncs in 12 hours", len(calls))
			}
			distinct := map[time.Duration]bool{}
			for i := 1; i < len(calls); i++ {
				gap := calls[i] - calls[i-1]
				distinct[gap] = true
				if lo, hi := tc.gap(i); gap < lo || gap > hi {
					t.Fatalf("wait %d was %s, want within [%s, %s]", i, gap, lo, hi)
				}
			}
			if strings.HasPrefix(tc.name, "random") && len(distinct) < 10 {
				t.Errorf("only %d distinct waits: the jitter does not vary", len(distinct))
			}
		})
	}
}

func TestAHangingSourceDoesNotHoldUpTheOthers(t *testing.T) {
	h := newHarness(t, Options{Workers: 2, Jitter: -1}, nil)
	a, b, hanging := h.source("a"), h.source("b"), h.source("hanging")
	hanging.hang = true
	h.plans[0] = h.plan(5*time.Minute, time.Minute, a, b, hanging)
	h.start()

	// a and b take the two slots, then the hanging source takes one.
	p := h.waitPark("with only the hanging source running", only("hanging"))
	if p.wake != t0.Add(DefaultSettle) {
		t.Fatalf("after the first syncs the schedule wakes at %s, want when the changes have settled", p.wake.Sub(t0))
	}
	// The first analysis does not wait for the hanging source.
	h.clock.Set(p.wake)
	h.waitPark("after the first analysis", only("hanging"))
	if got := h.rec.publishedAt(); !slices.Equal(got, minutes(0.5)) {
		t.Fatalf("reports published at %v, want one at 30s", got)
	}
	// Its timeout cancels it; the slot is free again.
	h.clock.Set(t0.Add(time.Minute))
	h.waitPark("after the timeout", idle)
	if errs := h.rec.failures("hanging"); len(errs) != 1 || !strings.Contains(errs[0].Error(), "timed out after 1m0s") {
		t.Fatalf("hanging source failures = %v, want one time-out", errs)
	}
	// a and b keep their turns; the hanging source has its own, from its
	// timeout, and hangs again.
	h.clock.Set(t0.Add(5 * time.Minute))
	h.waitPark("after a and b synced again", idle)
	h.clock.Set(t0.Add(6 * time.Minute))
	h.waitPark("while the hanging source hangs again", only("hanging"))
	h.clock.Set(t0.Add(7 * time.Minute))
	h.waitPark("after its second timeout", idle)
	h.clock.Set(t0.Add(10 * time.Minute))
	h.waitPark("after a and b synced a third time", idle)

	if got, want := h.rec.starts("a"), minutes(0, 5, 10); !slices.Equal(got, want) {
		t.Errorf("a synced at %v, want %v", got, want)
	}
	if got, want := h.rec.starts("b"), minutes(0, 5, 10); !slices.Equal(got, want) {
		t.Errorf("b synced at %v, want %v", got, want)
	}
	if got, want := h.rec.starts("hanging"), minutes(0, 6); !slices.Equal(got, want) {
		t.Errorf("the hanging source synced at %v, want %v", got, want)
	}
	if n := len(h.rec.failures("hanging")); n != 2 {
		t.Errorf("%d failures of the hanging source counted, want 2", n)
	}
	if n := len(h.rec.failures("a")) + len(h.rec.failures("b")); n != 0 {
		t.Errorf("%d failures of a and b, want none", n)
	}
}

func TestASourceThatIgnoresItsTimeoutIsAbandonedAndNotRunTwice(t *testing.T) {
	h := newHarness(t, Options{Workers: 1, Jitter: -1}, nil)
	a, stuck := h.source("a"), h.source("stuck")
	stuck.stuck = make(chan struct{})
	h.plans[0] = h.plan(5*time.Minute, time.Minute, stuck, a)
	stuck.started = make(chan string, 10)
	h.start()
	h.waitPark("with a synced and stuck running", only("stuck"))
	<-stuck.started
	h.clock.Set(t0.Add(time.Minute)) // timeout: cancelled, ignores it
	h.waitPark("still stuck after its timeout", only("stuck"))
	h.clock.Set(t0.Add(time.Minute + abandonGrace))
	// The slot is free, so a syncs at its turn; stuck is not run again
	// while its first sync has not returned.
	p := h.waitPark("with the stuck sync abandoned", func(p parkState) bool { return p.busy == 0 && !p.analyzing })
	if !slices.Equal(p.running, []string{"stuck"}) {
		t.Fatalf("running = %v, want the abandoned stuck source still marked running", p.running)
	}
	h.clock.Set(t0.Add(5 * time.Minute))
	h.waitPark("after a synced again", idle)
	h.clock.Set(t0.Add(10 * time.Minute)) // past the stuck source's turn, 6m05s
	h.waitPark("after a synced a third time", idle)
	if n := stuck.callCount(); n != 1 {
		t.Fatalf("stuck synced %d times, want only once while its sync has not returned", n)
	}
	if got := h.rec.starts("a"); !slices.Equal(got, minutes(0, 5, 10)) {
		t.Errorf("a synced at %v, want at 0, 5m and 10m", got)
	}
	errs := h.rec.failures("stuck")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "abandoned") {
		t.Errorf("stuck failures = %v, want it abandoned", errs)
	}
	// Once it returns, it is due again at once.
	close(stuck.stuck)
	h.waitPark("after the abandoned sync returned and ran again", func(p parkState) bool {
		return idle(p) && len(p.running) == 0 && len(h.rec.starts("stuck")) == 2
	})
}

func TestAnalysisRunsWhenDataChangedOrTimeMoved(t *testing.T) {
	h := newHarness(t, Options{Jitter: -1}, nil)
	a := h.source("a")
	h.plans[0] = h.plan(5*time.Minute, 0, a)
	h.start()
	h.runUntil(32 * time.Minute)
	// First sync inserts: analysis at once; later syncs change nothing:
	// analysis every 15 minutes only.
	if got, want := h.rec.publishedAt(), minutes(0, 15, 30); !slices.Equal(got, want) {
		t.Fatalf("published at %v, want %v", got, want)
	}
	a.set(func(s *fakeSource) { s.version++ }) // the 1:1 was shortened
	h.runUntil(50 * time.Minute)
	if got, want := h.rec.publishedAt(), minutes(0, 15, 30, 35, 50); !slices.Equal(got, want) {
		t.Errorf("published at %v, want %v (35: the change)", got, want)
	}
	if got := h.rec.notified; !slices.Equal(got, minutes()) {
		t.Errorf("notified %v without a notifier", got)
	}
}

func TestTheNotifierHearsOfEveryReportAndItsFailuresAreRetried(t *testing.T) {
	h := newHarness(t, Options{Jitter: -1}, nil)
	a := h.source("a")
	h.rec.notifyErr = errors.New("smtp: connection refused")
	h.plans[0] = func() (Plan, error) {
		p, err := h.plan(time.Hour, 0, a)()
		p.Notifier = h.rec
		return p, err
	}
	h.start()
	h.runUntil(10 * time.Second)
	h.rec.mu.Lock()
	h.rec.notifyErr = nil
	h.rec.mu.Unlock()
	h.runUntil(16 * time.Minute)
	if got, want := h.rec.notified, minutes(0, 0.5, 15.5); !slices.Equal(got, want) {
		t.Errorf("notified at %v, want %v (a failure retried after Settle)", got, want)
	}
	if got := h.rec.cycles; len(got) != 3 || got[0] == nil || got[1] != nil {
		t.Errorf("cycles = %v, want the first failed and the others not", got)
	}
	if err := h.d.Ready(); err != nil {
		t.Errorf("Ready: %v; a notifier failure does not make findings stale", err)
	}
}

func TestReadyAfterTheFirstAnalysisUntilShutdown(t *testing.T) {
	h := newHarness(t, Options{Jitter: -1}, nil)
	a := h.source("a")
	a.gate = make(chan struct{})
	h.plans[0] = h.plan(time.Hour, 0, a)
	if err := h.d.Ready(); err == nil {
		t.Fatal("ready before running")
	}
	h.start()
	h.waitPark("while a syncs", only("a"))
	if err := h.d.Ready(); err == nil {
		t.Fatal("ready before the first analysis")
	}
	close(a.gate)
	h.waitPark("after the first analysis", idle)
	if err := h.d.Ready(); err != nil {
		t.Fatalf("not ready after the first analysis: %v", err)
	}
	h.stop()
	if err := h.d.Ready(); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("Ready after shutdown = %v", err)
	}
}

func TestShutdown(t *testing.T) {
	for _, tc := range []struct {
		name string
		// script makes a source that is running when the shutdown comes,
		// and returns what ends it.
		script func(h *harness, s *fakeSource) (end func())
		// midCycle is when the shutdown comes.
		midCycle func(parkState) bool
		// returnsAt is how far into the shutdown Run returns.
		returnsAt time.Duration
		// kept reports whether the running sync's events are stored.
		kept bool
	}{
		{
			name: "a sync that finishes within the timeout is kept",
			script: func(h *harness, s *fakeSource) func() {
				s.gate = make(chan struct{})
				return func() { close(s.gate) }
			},
			midCycle: syncing, returnsAt: 0, kept: true,
		},
		{
			name: "a sync that heeds cancellation is cancelled at half the timeout",
			script: func(h *harness, s *fakeSource) func() {
				s.hang = true
				return func() { h.clock.Set(h.clock.Now().Add(DefaultShutdownTimeout / 2)) }
			},
			midCycle: syncing, returnsAt: DefaultShutdownTimeout / 2,
		},
		{
			name: "a sync that ignores cancellation is abandoned at the deadline",
			script: func(h *harness, s *fakeSource) func() {
				s.stuck = make(chan struct{})
				s.started = make(chan string, 1)
				h.t.Cleanup(func() { close(s.stuck) })
				return func() {
					<-s.started // it is in Sync, not before it
					h.clock.Set(h.clock.Now().Add(DefaultShutdownTimeout / 2))
					h.waitPark("after the cancellation", func(p parkState) bool { return p.busy == 1 })
					h.clock.Set(h.clock.Now().Add(DefaultShutdownTimeout / 2))
				}
			},
			midCycle: syncing, returnsAt: DefaultShutdownTimeout,
		},
		{
			name: "an email being sent is cancelled at half the timeout",
			script: func(h *harness, s *fakeSource) func() {
				h.rec.notifyGate = make(chan struct{})
				return func() { h.clock.Set(h.clock.Now().Add(DefaultShutdownTimeout / 2)) }
			},
			midCycle: analyzing, returnsAt: DefaultShutdownTimeout / 2, kept: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1}, nil)
			s := h.source("slow")
			end := tc.script(h, s)
			h.plans[0] = func() (Plan, error) {
				p, err := h.plan(time.Hour, 0, s)()
				p.Notifier = h.rec
				return p, err
			}
			h.start()
			h.waitPark("mid-cycle", tc.midCycle)
			stopAt := h.clock.Now()
			h.cancel()
			h.waitPark("shutting down", func(p parkState) bool { return p.wake.IsZero() })
			end()
			h.wait()
			if took := h.clock.Now().Sub(stopAt); took != tc.returnsAt {
				t.Errorf("Run returned %s into the shutdown, want %s", took, tc.returnsAt)
			}
			if took := h.clock.Now().Sub(stopAt); took > DefaultShutdownTimeout {
				t.Errorf("shutdown took %s, over the %s deadline", took, DefaultShutdownTimeout)
			}
			// The store is consistent: it reads, and holds the sync's
			// events exactly when the sync finished.
			recs, err := h.store.Events(context.Background())
			if err != nil {
				t.Fatalf("the store after shutdown: %v", err)
			}
			if kept := len(recs) == 1; kept != tc.kept {
				t.Errorf("%d events stored after shutdown, want kept=%v", len(recs), tc.kept)
			}
		})
	}
}

func TestReload(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reload func(h *harness, a, b *fakeSource) func() (Plan, error)
		// want are the sync times of a and b, and whether the reload took.
		wantA, wantB []time.Duration
		ok           bool
	}{
		{
			name: "a valid configuration adds a source, which syncs at once",
			reload: func(h *harness, a, b *fakeSource) func() (Plan, error) {
				return h.plan(5*time.Minute, 0, a, b)
			},
			wantA: minutes(0, 5, 10), wantB: minutes(7, 12), ok: true,
		},
		{
			name: "a valid configuration removes a source, which stops syncing",
			reload: func(h *harness, a, b *fakeSource) func() (Plan, error) {
				return h.plan(5*time.Minute, 0, b)
			},
			wantA: minutes(0, 5), wantB: minutes(7, 12), ok: true,
		},
		{
			name: "a changed source syncs at once, then on its new interval",
			reload: func(h *harness, a, b *fakeSource) func() (Plan, error) {
				return func() (Plan, error) {
					p, _ := h.plan(2*time.Minute, 0, a)()
					p.Sources[0].Version = "2"
					return p, nil
				}
			},
			wantA: minutes(0, 5, 7, 9, 11), ok: true,
		},
		{
			name: "an invalid configuration is refused and the old one kept",
			reload: func(h *harness, a, b *fakeSource) func() (Plan, error) {
				return func() (Plan, error) { return Plan{}, errors.New("config: sources[1].url: required") }
			},
			wantA: minutes(0, 5, 10),
		},
		{
			name: "a plan naming a source twice is refused and the old one kept",
			reload: func(h *harness, a, b *fakeSource) func() (Plan, error) {
				return h.plan(5*time.Minute, 0, a, b, a)
			},
			wantA: minutes(0, 5, 10),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{Jitter: -1}, nil)
			a, b := h.source("a"), h.source("b")
			h.plans = []func() (Plan, error){h.plan(5*time.Minute, 0, a), tc.reload(h, a, b)}
			h.start()
			h.runUntil(7 * time.Minute)
			h.clock.Set(t0.Add(7 * time.Minute))
			h.reload <- struct{}{}
			h.runUntil(12 * time.Minute)
			if got := h.rec.starts("a"); !slices.Equal(got, tc.wantA) {
				t.Errorf("a synced at %v, want %v", got, tc.wantA)
			}
			if got := h.rec.starts("b"); !slices.Equal(got, tc.wantB) {
				t.Errorf("b synced at %v, want %v", got, tc.wantB)
			}
			errs := h.rec.configuredErrs()
			if len(errs) != 2 || errs[0] != nil || (errs[1] == nil) != tc.ok {
				t.Errorf("configurations recorded %v, want the first fine and the reload ok=%v", errs, tc.ok)
			}
			// A reload may change the org or thresholds: it analyzes anew.
			if tc.ok && !slices.Contains(h.rec.publishedAt(), 7*time.Minute) {
				t.Errorf("no analysis after the reload: %v", h.rec.publishedAt())
			}
		})
	}
}

func TestTheFirstPlanMustLoad(t *testing.T) {
	h := newHarness(t, Options{}, func() (Plan, error) { return Plan{}, errors.New("config: listen: bad") })
	err := h.d.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "daemon: config: listen: bad") {
		t.Fatalf("Run = %v", err)
	}
	if errs := h.rec.configuredErrs(); len(errs) != 1 || errs[0] == nil {
		t.Errorf("configured = %v, want the failure counted", errs)
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no store", Options{Load: func(context.Context) (Plan, error) { return Plan{}, nil }}, "Options.Store"},
		{"no loader", Options{Store: (*nilStore)(nil)}, "Options.Load"},
		{"jitter of a whole interval", Options{Store: (*nilStore)(nil), Load: func(context.Context) (Plan, error) { return Plan{}, nil }, Jitter: 1}, "Options.Jitter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v, want an error about %s", err, tc.want)
			}
		})
	}
}

type nilStore struct{ Store }

func syncing(p parkState) bool   { return p.busy == 1 }
func analyzing(p parkState) bool { return p.analyzing }
