// Package notifier turns Rapport's findings into email: nudges to managers
// when a 1:1 relationship starts to drift, weekly digests to managers (their
// own reports) and leaders (team aggregates only), and a short note when a
// pair is back on track.
//
// It is built as separate stages, after alertmanager's notification
// pipeline:
//
//   - Decide is the policy, a pure function of the findings, the
//     notification log, the time and the Policy: which pairs are news (a
//     signal newly crossing, a worse band; cooldown per pair and signal),
//     one nudge per manager and local day, digests once a week at their
//     local time, send windows in each recipient's zone, snoozes.
//   - Templates render an Email into a subject, a plain-text and an HTML
//     part (text/template and html/template, embedded, each file
//     overridable from a directory). The data they get are NudgeView and
//     DigestView; everything from calendars in them is untrusted and
//     cleaned (Clean), and escaped in HTML.
//   - Notifier.Cycle writes the rendered Messages and the marks that record
//     them to the store's outbox in one transaction, then delivers what is
//     due through a Sender (SMTP, or .eml files in a directory), retrying
//     with the shared retry package. A Message has a stable Message-ID
//     derived from recipient, kind, period and content, and always builds
//     to the same bytes.
//
// One Notifier should work a store at a time: the log is read before the
// outbox is written, so two running at once could decide the same news
// twice (identical decisions still collapse into one message).
package notifier
