package display

import (
	"fmt"
	"time"
)

// TimeLeft formats the time from now until deadline as minutes and seconds,
// "9:59", rounding up so that "0:00" appears only once the code has expired.
// It returns "0:00" for a deadline that has passed and "" for a zero
// deadline, which means there is no countdown.
func TimeLeft(deadline, now time.Time) string {
	if deadline.IsZero() {
		return ""
	}
	d := deadline.Sub(now)
	if d <= 0 {
		return "0:00"
	}
	secs := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// UntilTextChange returns how long until TimeLeft's text changes, and false
// when it will not (no deadline, or already past). TimeLeft rounds the
// time left up to the second, so the text changes whenever the time left
// crosses a whole second: displays wake exactly then, not on a free ticker
// that could show a value up to a second late.
func UntilTextChange(deadline, now time.Time) (time.Duration, bool) {
	if deadline.IsZero() {
		return 0, false
	}
	left := deadline.Sub(now)
	if left <= 0 {
		return 0, false
	}
	wait := left % time.Second
	if wait == 0 {
		wait = time.Second
	}
	return wait, true
}
