package notifier

import "github.com/rapport-dev/rapport/analyzer"

// guidance is what a nudge says about one signal: a short label, why it
// matters (one sentence) and one concrete thing to try. The advice follows
// common practice for 1:1s — the report owns the meeting, status belongs in
// asynchronous channels, regularity matters most when there seems to be
// nothing to say — written for Rapport.
type guidance struct {
	Label string
	Why   string
	Try   string
}

var guide = map[string]guidance{
	analyzer.SignalRescheduleRate: {
		Label: "Often rescheduled",
		Why:   "When the 1:1 is always the meeting that makes way, your report learns it is the first thing you will give up.",
		Try:   "Treat the slot as fixed and move the other meeting instead. If status updates are what fill the time, move them to a written update or the team chat, so the 1:1 is free for everything else.",
	},
	analyzer.SignalLateReschedules: {
		Label: "Moved at short notice",
		Why:   "A 1:1 moved at the last minute leaves your report no time to prepare, and what they had saved up for it waits again.",
		Try:   "Protect the slot. If it really has to move, move it at least a day ahead and propose the new time in the same message; status updates can go to a written note instead.",
	},
	analyzer.SignalShortened: {
		Label: "Cut short",
		Why:   "When a 1:1 runs short the urgent items still fit, and the conversations about growth and how things are really going are the ones that drop out.",
		Try:   "Keep the full time booked and use it, starting with your report's topics, so that growth is not what gets cut.",
	},
	analyzer.SignalSkipRate: {
		Label: "Skipped",
		Why:   "Every skipped 1:1 stretches the time without a private conversation, and small worries grow in the gap.",
		Try:   "Keep meeting even when there seems to be nothing to discuss: ask how things are going. The quiet weeks are often when the important things come up.",
	},
	analyzer.SignalFallingCadence: {
		Label: "Meeting less often",
		Why:   "Meeting less often without saying so leaves your report guessing whether they still matter to you.",
		Try:   "Agree the rhythm openly with your report (weekly, every two weeks) and make the recurring invite match what you agreed.",
	},
	analyzer.SignalOverdue: {
		Label: "Overdue",
		Why:   "The longer since the last 1:1, the more gets decided without your report's voice, or goes unsaid.",
		Try:   "Put the next 1:1 in the calendar now, before you close this email.",
	},
	analyzer.SignalNothingScheduled: {
		Label: "Nothing scheduled",
		Why:   "A 1:1 that is not in the calendar rarely happens by itself.",
		Try:   "Put the next one in the calendar now, as a recurring series, so that the one after it is already there.",
	},
	analyzer.SignalNoAgenda: {
		Label: "No agenda",
		Why:   "Without an agenda a 1:1 slides into a status update, and the topics your report cares about keep waiting.",
		Try:   "Ask your report to own a shared, written agenda in the invite, most important topic first; add yours below theirs.",
	},
}

// Advice by relationship stage and for a recovered pair.
const (
	adviceNew = "Early 1:1s are for trust before tasks: ask how they like to work, how they want feedback and what they need from you, and keep every one of these meetings."
	// adviceLongStanding is where a digest points a long, healthy pair.
	adviceLongStanding = "A good moment to step back from the week-to-week and revisit their development goals: where do they want to be in a year, and what would help them get there?"
	adviceRecovered    = "Their 1:1s look healthy again. Thank you for making the time."
)

func guideFor(name string) guidance {
	if g, ok := guide[name]; ok {
		return g
	}
	return guidance{Label: Clean(name, 40)}
}
