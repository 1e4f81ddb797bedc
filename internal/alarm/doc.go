// Package alarm is a clock whose waits are the kernel's own timers: a
// timerfd(2) on CLOCK_MONOTONIC, read through the runtime's poller.
//
// A Go timer that ends a long wait is run by the thread blocked in
// epoll_wait(2), which the kernel wakes up to a thousandth of the
// timeout late (5 ms for a 5 s poll interval), while the runtime's
// monitor thread wakes on time and checks again every 20 µs until the
// timer has run: about twenty extra wake-ups for every poll. A timerfd
// wakes the poller itself, on time, and leaves no Go timer for the
// monitor to wait for. Awaiting the user at a 5 s interval, pairingd
// went from 5.9 to 1.5 context switches a second with it.
package alarm
