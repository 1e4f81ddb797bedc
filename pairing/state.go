package pairing

import "fmt"

// State is where the device stands in pairing. The numbers are stored in
// the database, so they are written out and never reordered: a new state
// gets a new number.
type State int

// The states. See the package documentation for the transitions.
const (
	// Unpaired: no tokens and no device code; the daemon is asking the
	// server for one.
	Unpaired State = 0
	// AwaitingUser: a device code is on screen and the daemon polls the
	// token endpoint until the user approves or denies it, or it expires.
	AwaitingUser State = 1
	// Paired: tokens are stored and kept fresh.
	Paired State = 2
	// Denied: the user (or the server) refused; a new code follows after
	// a cool-down.
	Denied State = 3
	// Error: the server cannot give us a device code right now (it is
	// unreachable, refuses the client, or answered something we cannot
	// use); the daemon retries with backoff.
	Error State = 4
	// Expired: the code ran out before the user acted; a new code follows
	// at once.
	Expired State = 5
	// Idle: codes expired one after another with nobody at the device;
	// no code is asked for until someone presses a key.
	Idle State = 6
	// NotConfigured: the configuration names no server (or only the
	// example's placeholder), so the daemon asks nothing of any server
	// and says which keys to set. The Machine never enters it: the
	// daemon records it without running the Machine, and the Machine
	// leaves it at start.
	NotConfigured State = 7
)

var stateNames = map[State]string{
	Unpaired:      "unpaired",
	AwaitingUser:  "awaiting_user",
	Paired:        "paired",
	Denied:        "denied",
	Error:         "error",
	Expired:       "expired",
	Idle:          "idle",
	NotConfigured: "not_configured",
}

// String returns the name used in status output and logs.
func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Valid reports whether s is one of the known states (a database written by
// a newer version may hold one we do not know).
func (s State) Valid() bool {
	_, ok := stateNames[s]
	return ok
}

// ParseState returns the state named name (as String writes it), and false
// when no state has that name.
func ParseState(name string) (State, bool) {
	for s, n := range stateNames {
		if n == name {
			return s, true
		}
	}
	return 0, false
}

// StateNames lists the states' names in the order of their numbers, for
// help texts.
func StateNames() []string {
	names := make([]string, 0, len(stateNames))
	for s := State(0); len(names) < len(stateNames); s++ {
		if n, ok := stateNames[s]; ok {
			names = append(names, n)
		}
	}
	return names
}
