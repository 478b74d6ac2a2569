package web

import (
	"fmt"
	"math"
	"time"
)

// utcLayout is how the pages write a time.
const utcLayout = "2006-01-02 15:04:05 UTC"

// utc writes t in UTC, or "never" for the zero time.
func utc(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(utcLayout)
}

// isoTime is t for a <time datetime> attribute; "" for the zero time.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// epochTime is a Unix stamp as a time; the zero time for 0.
func epochTime(stamp int64) time.Time {
	if stamp == 0 {
		return time.Time{}
	}
	return time.Unix(stamp, 0).UTC()
}

// ago says how long before now t was, in words ("12 min ago", "in 3 days").
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + span(-d)
	case d < 5*time.Second:
		return "just now"
	default:
		return span(d) + " ago"
	}
}

// span writes d in words at the precision an operator reads at a glance:
// two units at most.
func span(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min", s/60)
	case s < 86400:
		return twoUnits(s/3600, "h", s%3600/60, "min")
	default:
		days := "days"
		if s/86400 == 1 {
			days = "day"
		}
		return twoUnits(s/86400, " "+days, s%86400/3600, " h")
	}
}

func twoUnits(a int64, ua string, b int64, ub string) string {
	if ua == "h" {
		ua = " h"
		ub = " " + ub
	}
	if b == 0 {
		return fmt.Sprintf("%d%s", a, ua)
	}
	return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
}

// lag writes a duration in seconds compactly, as mirmon's age column:
// "45s", "12m", "3h", "3h20m", "2d4h".
func lag(seconds int64) string {
	if seconds < 0 {
		seconds = 0
	}
	switch {
	case seconds < 60:
		return fmt.Sprintf("%ds", seconds)
	case seconds < 3600:
		return fmt.Sprintf("%dm", seconds/60)
	case seconds < 86400:
		if m := seconds % 3600 / 60; m != 0 {
			return fmt.Sprintf("%dh%02dm", seconds/3600, m)
		}
		return fmt.Sprintf("%dh", seconds/3600)
	default:
		if h := seconds % 86400 / 3600; h != 0 {
			return fmt.Sprintf("%dd%dh", seconds/86400, h)
		}
		return fmt.Sprintf("%dd", seconds/86400)
	}
}

// after writes seconds after a publish: "35 s", "14 min 3 s", "2 h 5 min".
func after(seconds float64) string {
	if math.IsNaN(seconds) || seconds < 0 {
		seconds = 0
	}
	s := int64(math.Round(seconds))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		if s%60 == 0 {
			return fmt.Sprintf("%d min", s/60)
		}
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	default:
		return span(time.Duration(s) * time.Second)
	}
}

// percent writes a share with at most one decimal.
func percent(p float64) string {
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f %%", p)
	}
	return fmt.Sprintf("%.1f %%", p)
}
