package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// notifyStore is what the notifier asks of a store.
type notifyStore interface {
	NotifyLog(ctx context.Context, since, now time.Time) (NotifyLog, error)
	Enqueue(ctx context.Context, msgs []OutboxMessage, marks []Mark) (int, error)
	Due(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error)
	MarkSent(ctx context.Context, id int64, at time.Time) error
	RecordAttempt(ctx context.Context, id int64, a Attempt) error
}

var _ notifyStore = (*Store)(nil)

var (
	t0 = time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

func message(id, to, period string, notBefore time.Time) OutboxMessage {
	return OutboxMessage{MessageID: id, Recipient: to, Kind: "nudge", Period: period, Subject: "s", Data: []byte("{}"),
		CreatedAt: t0, NotBefore: notBefore}
}

func TestOutboxSurvivesARestartAndNeverHoldsAMessageTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rapport.db")
	s := openStore(t, path)
	mark := Mark{Manager: "m@x", Report: "r@x", Key: "skip_rate", NotifiedAt: t0}
	n, err := s.Enqueue(ctx, []OutboxMessage{message("a@x", "m@x", "2026-03-02", t0), message("b@x", "n@x", "2026-03-02", t1)}, []Mark{mark})
	if err != nil || n != 2 {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	// The same message again (a re-render after a crash) is not a second one.
	if n, err := s.Enqueue(ctx, []OutboxMessage{message("a@x", "m@x", "2026-03-02", t0)}, nil); err != nil || n != 0 {
		t.Fatalf("Enqueue again = %d, %v; want 0 added", n, err)
	}
	s.Close()
	s = openStore(t, path)

	due, err := s.Due(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].MessageID != "a@x" {
		t.Fatalf("Due at t0 = %+v, %v; want only a@x (b@x waits for its send window)", due, err)
	}
	if err := s.RecordAttempt(ctx, due[0].ID, Attempt{At: t0, Err: "421 try later", Next: t1.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	due, _ = s.Due(ctx, t1, 10)
	if len(due) != 1 || due[0].MessageID != "b@x" {
		t.Fatalf("Due at t1 = %+v; want only b@x (a@x backs off)", due)
	}
	if err := s.MarkSent(ctx, due[0].ID, t1); err != nil {
		t.Fatal(err)
	}
	due, _ = s.Due(ctx, t1.Add(time.Hour), 10)
	if len(due) != 1 || due[0].MessageID != "a@x" || due[0].Attempts != 1 || due[0].LastError != "421 try later" {
		t.Fatalf("Due later = %+v; want a@x after one failed attempt", due)
	}
	if err := s.RecordAttempt(ctx, due[0].ID, Attempt{At: t1, Err: "550 no such user", Failed: true}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.Due(ctx, t1.Add(48*time.Hour), 10); len(due) != 0 {
		t.Fatalf("a failed message is due again: %+v", due)
	}
	failed, err := s.Outbox(ctx, OutboxFailed)
	if err != nil || len(failed) != 1 || failed[0].LastError != "550 no such user" || failed[0].Attempts != 2 {
		t.Fatalf("failed = %+v, %v", failed, err)
	}
	sent, _ := s.Outbox(ctx, OutboxSent)
	if len(sent) != 1 || !sent[0].SentAt.Equal(t1) {
		t.Fatalf("sent = %+v", sent)
	}

	log, err := s.NotifyLog(ctx, t0.Add(-time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(log.Marks, []Mark{{Manager: "m@x", Report: "r@x", Key: "skip_rate", NotifiedAt: t0}}) {
		t.Errorf("marks = %+v", log.Marks)
	}
	want := []Queued{{"m@x", "nudge", "2026-03-02", OutboxFailed}, {"n@x", "nudge", "2026-03-02", OutboxSent}}
	if !reflect.DeepEqual(log.Queued, want) {
		t.Errorf("queued = %+v, want %+v", log.Queued, want)
	}

	if n, err := s.Requeue(ctx, t1); err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v", n, err)
	}
	if due, _ := s.Due(ctx, t1, 10); len(due) != 1 {
		t.Fatalf("a requeued message is not due: %+v", due)
	}
}

func TestEnqueueKeepsMessagesAndMarksTogether(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, ":memory:")
	bad := message("", "m@x", "2026-03-02", t0) // refused: no Message-ID
	if _, err := s.Enqueue(ctx, []OutboxMessage{message("a@x", "m@x", "d", t0), bad}, []Mark{{Manager: "m@x", Report: "r@x", Key: "k", NotifiedAt: t0}}); err == nil {
		t.Fatal("Enqueue of a message without Message-ID succeeded")
	}
	log, err := s.NotifyLog(ctx, time.Time{}, t0)
	if err != nil || len(log.Marks) != 0 || len(log.Queued) != 0 {
		t.Fatalf("after a failed Enqueue: %+v, %v; want nothing kept", log, err)
	}
	// A mark is replaced, not duplicated.
	for _, m := range []Mark{{Manager: "m@x", Report: "r@x", Key: "band", Value: "drifting", NotifiedAt: t0}, {Manager: "m@x", Report: "r@x", Key: "band", Value: "healthy", NotifiedAt: t0, Cleared: true}} {
		if _, err := s.Enqueue(ctx, nil, []Mark{m}); err != nil {
			t.Fatal(err)
		}
	}
	log, _ = s.NotifyLog(ctx, time.Time{}, t0)
	if len(log.Marks) != 1 || log.Marks[0].Value != "healthy" || !log.Marks[0].Cleared {
		t.Fatalf("marks = %+v", log.Marks)
	}
}

func TestSnoozesExpire(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, ":memory:")
	for _, z := range []Snooze{
		{Manager: "m@x", Report: "r@x", Until: t0.AddDate(0, 0, 14), Reason: "parental leave", CreatedAt: t0},
		{Manager: "m@x", Report: "q@x", Until: t0.AddDate(0, 0, 2), CreatedAt: t0},
	} {
		if _, err := s.AddSnooze(ctx, z); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddSnooze(ctx, Snooze{Manager: "m@x", Report: "r@x"}); err == nil {
		t.Error("a snooze without end was accepted")
	}
	active := func(at time.Time) int {
		t.Helper()
		zs, err := s.Snoozes(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return len(zs)
	}
	if n := active(t0); n != 2 {
		t.Errorf("%d snoozes in force at the start, want 2", n)
	}
	if n := active(t0.AddDate(0, 0, 3)); n != 1 {
		t.Errorf("%d snoozes in force after three days, want 1", n)
	}
	if n := active(t0.AddDate(0, 0, 14)); n != 0 {
		t.Errorf("%d snoozes in force on the day the last ends, want 0", n)
	}
	if n, err := s.PruneOutbox(ctx, t0.AddDate(0, 0, 3)); err != nil || n != 1 {
		t.Errorf("PruneOutbox = %d, %v; want the expired snooze gone", n, err)
	}
	if n, err := s.EndSnoozes(ctx, "m@x", "r@x"); err != nil || n != 1 || active(t0) != 0 {
		t.Errorf("EndSnoozes = %d, %v", n, err)
	}
}
