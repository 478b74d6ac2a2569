package web

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{ago(now, now.Add(-2*time.Second)), "just now"},
		{ago(now, now.Add(-45*time.Second)), "45 s ago"},
		{ago(now, now.Add(-20*time.Minute)), "20 min ago"},
		{ago(now, now.Add(-26*time.Hour)), "1 day 2 h ago"},
		{ago(now, now.Add(-3*time.Hour)), "3 h ago"},
		{ago(now, now.Add(-(3*time.Hour + 5*time.Minute))), "3 h 5 min ago"},
		{ago(now, now.Add(-9*24*time.Hour)), "9 days ago"},
		{ago(now, now.Add(13*24*time.Hour)), "in 13 days"},
		{ago(now, time.Time{}), "never"},
		{utc(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))), "2026-01-02 02:04:05 UTC"},
		{utc(time.Time{}), "never"},
		{lag(-5), "0s"}, {lag(59), "59s"}, {lag(600), "10m"}, {lag(3600 * 5), "5h"}, {lag(3600*5 + 60*7), "5h07m"},
		{lag(86400 + 3600), "1d1h"}, {lag(86400 * 2), "2d"},
		{after(35), "35 s"}, {after(843), "14 min 3 s"}, {after(600), "10 min"}, {after(7500), "2 h 5 min"},
		{percent(84), "84 %"}, {percent(84.25), "84.2 %"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
