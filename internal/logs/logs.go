// Package logs builds the daemon's *slog.Logger for where its output goes:
//
//   - under journald (JOURNAL_STREAM names our stderr), one line per record
//     with the sd-daemon(3) "<N>" priority prefix and no timestamp, since
//     the journal stamps each line itself and files it by priority;
//   - to syslog (BusyBox init and muOS, where stdout is lost), through the
//     local syslog socket with the record's priority;
//   - otherwise text with timestamps, or JSON on request.
//
// Whatever the target, nothing here adds secrets: the callers never log a
// device code or token (their tests scan the output).
package logs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Options choose the logger.
type Options struct {
	// Level is the minimum level.
	Level slog.Level
	// Format is "text" or "json".
	Format string
	// Output is "stderr" (the default) or "syslog".
	Output string
	// Environ is os.Environ(); JOURNAL_STREAM is read from it.
	Environ []string
}

// New returns a logger that writes to stderr (w), adapting to journald, or
// to syslog (falling back to w when there is no syslog daemon).
func New(w io.Writer, o Options) (*slog.Logger, error) {
	ho := &slog.HandlerOptions{Level: o.Level}
	switch {
	case o.Output == "syslog":
		sw, err := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "pairingd")
		if err != nil {
			// No syslogd (yet): logging to stderr beats not starting.
			l := slog.New(slog.NewTextHandler(w, ho))
			l.Warn("syslog unavailable; logging to stderr", "err", err)
			return l, nil
		}
		return slog.New(newPrefixed(syslogWriter{sw}, ho, o.Format)), nil
	case UnderJournal(w, o.Environ):
		return slog.New(newPrefixed(journalWriter{w}, ho, o.Format)), nil
	case o.Format == "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	default:
		return slog.New(slog.NewTextHandler(w, ho)), nil
	}
}

// UnderJournal reports whether w is the stream journald gave us: systemd
// sets JOURNAL_STREAM to its "device:inode", and a child whose stderr was
// redirected elsewhere must not get prefixes.
func UnderJournal(w io.Writer, environ []string) bool {
	var v string
	for _, e := range environ {
		if s, ok := strings.CutPrefix(e, "JOURNAL_STREAM="); ok {
			v = s
		}
	}
	dev, ino, ok := strings.Cut(v, ":")
	f, isFile := w.(*os.File)
	if !ok || !isFile {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return dev == strconv.FormatUint(uint64(st.Dev), 10) && ino == strconv.FormatUint(st.Ino, 10)
}

// levelWriter writes one formatted record at a level.
type levelWriter interface {
	writeRecord(level slog.Level, line []byte) error
}

// journalWriter prefixes each line with its syslog priority, "<6>…".
type journalWriter struct{ w io.Writer }

func (j journalWriter) writeRecord(level slog.Level, line []byte) error {
	_, err := fmt.Fprintf(j.w, "<%d>%s", priority(level), line)
	return err
}

// syslogWriter sends each record with its priority.
type syslogWriter struct{ w *syslog.Writer }

func (s syslogWriter) writeRecord(level slog.Level, line []byte) error {
	m := string(bytes.TrimRight(line, "\n"))
	switch priority(level) {
	case 7:
		return s.w.Debug(m)
	case 6:
		return s.w.Info(m)
	case 4:
		return s.w.Warning(m)
	default:
		return s.w.Err(m)
	}
}

// priority maps slog levels to syslog priorities (sd-daemon(3)).
func priority(l slog.Level) int {
	switch {
	case l < slog.LevelInfo:
		return 7
	case l < slog.LevelWarn:
		return 6
	case l < slog.LevelError:
		return 4
	default:
		return 3
	}
}

// prefixed formats records with a text or JSON handler without the time,
// then hands each line to a levelWriter.
type prefixed struct {
	mu    *sync.Mutex
	buf   *bytes.Buffer
	inner slog.Handler
	out   levelWriter
}

func newPrefixed(out levelWriter, ho *slog.HandlerOptions, format string) *prefixed {
	buf := &bytes.Buffer{}
	o := *ho
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
			return slog.Attr{}
		}
		return a
	}
	var inner slog.Handler = slog.NewTextHandler(buf, &o)
	if format == "json" {
		inner = slog.NewJSONHandler(buf, &o)
	}
	return &prefixed{mu: &sync.Mutex{}, buf: buf, inner: inner, out: out}
}

func (p *prefixed) Enabled(ctx context.Context, l slog.Level) bool { return p.inner.Enabled(ctx, l) }

func (p *prefixed) Handle(ctx context.Context, r slog.Record) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Reset()
	if err := p.inner.Handle(ctx, r); err != nil {
		return err
	}
	return p.out.writeRecord(r.Level, p.buf.Bytes())
}

func (p *prefixed) WithAttrs(as []slog.Attr) slog.Handler {
	return &prefixed{mu: p.mu, buf: p.buf, inner: p.inner.WithAttrs(as), out: p.out}
}

func (p *prefixed) WithGroup(name string) slog.Handler {
	return &prefixed{mu: p.mu, buf: p.buf, inner: p.inner.WithGroup(name), out: p.out}
}
