// Package systemd tells the service manager how the daemon is doing, through
// the sd_notify protocol (sd_notify(3), systemd.service(5) Type=notify) as
// github.com/coreos/go-systemd/v22/daemon implements it.
//
// READY=1 goes out once the store is open and the display draws, not when
// pairing ends: a device waiting for its user is a healthy service, and
// pairing can take longer than any start timeout. STATUS= carries one line
// per state for `systemctl status`, which anyone on the machine may read, so
// it never holds a secret. When NOTIFY_SOCKET is unset nothing is sent and
// nothing is logged: the daemon then runs under BusyBox init or by hand.
package systemd
