package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/pairingd/pairingd/internal/config"
	"github.com/pairingd/pairingd/pairing"
)

// hookQueue is how many changes may wait for on_change: more means the
// program is far slower than the daemon changes state, and the oldest
// waiting ones are dropped (each run still sees its own old and new).
const hookQueue = 32

// Limits on what on_change may write to the log per run.
const (
	hookLineMax   = 1024
	hookOutputMax = 64 << 10
)

// hookRunner runs the on_change program for each change, one at a time
// and in order, in a goroutine of its own: the loop never waits for it.
type hookRunner struct {
	path    string
	timeout time.Duration
	logger  *slog.Logger
	env     []string
	queue   chan pairing.Change
	done    chan struct{}
}

// startHooks starts the runner of cfg.OnChange until ctx ends; nil when
// there is no program. deviceID is the device's own id.
func startHooks(ctx context.Context, cfg config.Config, logger *slog.Logger, environ []string, deviceID string) *hookRunner {
	if cfg.OnChange == "" {
		return nil
	}
	h := &hookRunner{path: cfg.OnChange, timeout: cfg.OnChangeTimeout, logger: logger,
		queue: make(chan pairing.Change, hookQueue), done: make(chan struct{})}
	for _, e := range environ {
		name, _, _ := strings.Cut(e, "=")
		switch {
		case name == "NOTIFY_SOCKET", strings.HasPrefix(name, "WATCHDOG_"), strings.HasPrefix(name, "LISTEN_"),
			strings.HasPrefix(name, "PAIRING_"), name == "PAIRINGD_SOCKET", name == "PAIRINGD_STATE_DIR":
			// systemd's are the daemon's alone; ours are set below.
			continue
		}
		h.env = append(h.env, e)
	}
	// `pairingd token` run by the program finds this daemon.
	h.env = append(h.env, "PAIRINGD_SOCKET="+cfg.Socket, "PAIRINGD_STATE_DIR="+cfg.StateDir, "PAIRING_DEVICE_ID="+deviceID)
	go h.loop(ctx)
	return h
}

// Notify queues c for the program; it never blocks.
func (h *hookRunner) Notify(c pairing.Change) {
	for {
		select {
		case h.queue <- c:
			return
		default:
		}
		select {
		case old := <-h.queue:
			h.logger.Warn("on_change is behind; a change is not passed to it", "old_state", old.Old, "state", old.New)
		default:
		}
	}
}

// Wait waits until the runner has stopped (ctx ended).
func (h *hookRunner) Wait() { <-h.done }

func (h *hookRunner) loop(ctx context.Context) {
	defer close(h.done)
	for {
		select {
		case <-ctx.Done():
			return
		case c := <-h.queue:
			h.run(ctx, c)
		}
	}
}

// hookEnv is the program's own part of the environment: what changed, and
// never a secret.
func hookEnv(c pairing.Change) []string {
	env := []string{
		"PAIRING_STATE=" + c.New.String(),
		"PAIRING_OLD_STATE=" + c.Old.String(),
		"PAIRING_SERVER=" + c.Server,
		"PAIRING_BOUND_DEVICE_ID=" + c.BoundDeviceID,
		"PAIRING_ACCOUNT=" + c.Account,
		"PAIRING_MESSAGE=" + c.Detail,
	}
	if c.First {
		env = append(env, "PAIRING_FIRST=1")
	}
	if c.UserCode != "" {
		env = append(env, "PAIRING_USER_CODE="+c.UserCode, "PAIRING_VERIFICATION_URI_COMPLETE="+c.VerificationURIComplete)
	}
	return env
}

// run runs the program once, its output going to the log line by line;
// past the timeout it gets SIGTERM, and SIGKILL 5 s later, with anything
// it started (its own process group).
func (h *hookRunner) run(ctx context.Context, c pairing.Change) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.path)
	cmd.Env = append(append([]string(nil), h.env...), hookEnv(c)...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	out, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		h.logOutput(out, c)
	}()
	start := time.Now()
	err := cmd.Run()
	w.Close()
	<-logged
	// Anything it left behind goes with it.
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		h.logger.Warn("on_change took too long and was stopped", "program", h.path, "state", c.New, "timeout", h.timeout)
	case err != nil:
		h.logger.Warn("on_change failed", "program", h.path, "state", c.New, "err", err, "took", took)
	default:
		h.logger.Debug("on_change ran", "program", h.path, "state", c.New, "took", took)
	}
}

// logOutput logs each line the program writes, up to the limits, and
// reads on to the end so that it never blocks on a full pipe.
func (h *hookRunner) logOutput(r io.Reader, c pairing.Change) {
	br := bufio.NewReaderSize(r, hookLineMax)
	total := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && total < hookOutputMax {
			total += len(line)
			text := strings.TrimRight(string(line), "\r\n")
			if total >= hookOutputMax {
				text += fmt.Sprintf(" [output beyond %d bytes not logged]", hookOutputMax)
			}
			h.logger.Info("on_change output", "line", text, "state", c.New)
		}
		if err != nil && err != bufio.ErrBufferFull {
			io.Copy(io.Discard, r)
			return
		}
	}
}
