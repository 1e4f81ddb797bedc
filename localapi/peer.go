package localapi

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Cred is what the kernel recorded of a connection's peer when it
// connected: it cannot be forged by the peer.
type Cred struct {
	PID, UID, GID int
	// Groups are the peer's supplementary groups (SO_PEERGROUPS, Linux
	// 4.13 and later; older kernels: read from /proc, when it can be).
	Groups []int
}

// Access says who may use the API besides root: the daemon's own user and
// the members of one group.
type Access struct {
	UID int
	// GID is the group whose members are served; -1 is none.
	GID int
	// Group is GID's name, for the refusal's hint.
	Group string
}

// Allows reports whether c may use the API.
func (a Access) Allows(c Cred) bool {
	switch {
	case c.UID == 0, c.UID == a.UID:
		return true
	case a.GID < 0:
		return false
	}
	return c.GID == a.GID || slices.Contains(c.Groups, a.GID)
}

// refusal is the answer to a peer Allows refuses.
func (a Access) refusal(c Cred) *Error {
	if a.GID < 0 {
		return Errorf(CodeForbidden, "uid %d may not use pairingd's local API: run as root or as the daemon's user", c.UID)
	}
	return Errorf(CodeForbidden, "uid %d may not use pairingd's local API: add the user to the group %s (usermod -aG %s USER, then log in again) or run as root",
		c.UID, a.Group, a.Group)
}

// peerCred reads the credentials of c's peer.
func peerCred(c net.Conn) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Cred{}, fmt.Errorf("peer credentials: %T is not a Unix socket", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	var cred Cred
	var groups []int
	var uerr, gerr error
	err = raw.Control(func(fd uintptr) {
		var u *unix.Ucred
		u, uerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if uerr == nil {
			cred = Cred{PID: int(u.Pid), UID: int(u.Uid), GID: int(u.Gid)}
			groups, gerr = peerGroups(int(fd))
		}
	})
	if err == nil {
		err = uerr
	}
	if err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	if gerr != nil {
		// An older kernel: the process's groups from /proc, which a
		// hardened daemon (ProtectProc=invisible) may not see; then
		// only the primary group counts.
		groups, _ = procGroups(cred.PID)
	}
	cred.Groups = groups
	return cred, nil
}

// peerGroups reads SO_PEERGROUPS: the peer's supplementary groups at
// connect time.
func peerGroups(fd int) ([]int, error) {
	buf := make([]uint32, 64)
	for {
		n := uint32(len(buf) * 4)
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		switch {
		case errno == unix.ERANGE && int(n/4) > len(buf) && n < 1<<20:
			buf = make([]uint32, n/4)
			continue
		case errno != 0:
			return nil, errno
		}
		out := make([]int, 0, n/4)
		for _, g := range buf[:n/4] {
			out = append(out, int(g))
		}
		return out, nil
	}
}

// procGroups reads the Groups line of /proc/PID/status.
func procGroups(pid int) ([]int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		v, ok := strings.CutPrefix(line, "Groups:")
		if !ok {
			continue
		}
		var out []int
		for f := range strings.FieldsSeq(v) {
			g, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("groups of pid %d: %w", pid, err)
			}
			out = append(out, g)
		}
		return out, nil
	}
	return nil, errors.New("no Groups line")
}
