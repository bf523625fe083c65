package retention

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// maxMissedScan bounds how many missed schedule times are walked to find the latest one;
// past it the latest missed time is taken to be now. A schedule every minute and a week of
// downtime stays under it.
const maxMissedScan = 20000

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule is a five-field cron schedule evaluated in a time zone.
type Schedule struct {
	spec     cron.Schedule
	location *time.Location
}

// ParseSchedule reads a five-field cron expression ("0 3 * * *") or a descriptor such as
// "@daily", evaluated in the IANA time zone tz ("" means UTC).
func ParseSchedule(expr, tz string) (*Schedule, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("time zone %q: %w", tz, err)
		}
		loc = l
	}
	spec, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	return &Schedule{spec: spec, location: loc}, nil
}

// Next is the first scheduled time strictly after t.
func (s *Schedule) Next(t time.Time) time.Time {
	return s.spec.Next(t.In(s.location))
}

// Decision says whether a run is due now and when the next one is.
type Decision struct {
	// Due is true when a scheduled time has passed since the last run.
	Due bool
	// ScheduledAt is the scheduled time the due run stands for: the latest one that passed.
	// Runs missed during downtime collapse into this one run.
	ScheduledAt time.Time
	// Missed is how many scheduled times passed unrun before ScheduledAt (0 when on time).
	Missed int
	// NextAt is the scheduled time after now.
	NextAt time.Time
}

// Decide looks at the last scheduled time that ran (or, when nothing ran yet, the moment the
// policy was created) and says whether a run is due at now. However many times were missed,
// at most one run is due: the latest.
func (s *Schedule) Decide(lastScheduled, now time.Time) Decision {
	d := Decision{NextAt: s.Next(now)}
	t := s.Next(lastScheduled)
	if t.IsZero() || t.After(now) {
		return d
	}
	d.Due = true
	d.ScheduledAt = t
	for i := 0; i < maxMissedScan; i++ {
		n := s.Next(t)
		if n.IsZero() || n.After(now) {
			return d
		}
		d.Missed++
		t = n
		d.ScheduledAt = t
	}
	d.ScheduledAt = now
	return d
}
