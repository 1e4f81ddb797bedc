package pairing

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
)

// reportTimeout bounds one report: a down endpoint never holds up
// anything.
const reportTimeout = 10 * time.Second

// reportQueue is how many reports may wait for the sender; more are
// dropped (and logged), so a slow endpoint never blocks the loop.
const reportQueue = 8

// sendFunc delivers one report with the access token.
type sendFunc func(ctx context.Context, c *oauth.Client, access string, r oauth.Report) error

// reportJob is a report, the token it goes out with, and a copy of the
// client as the loop had it then (the loop may change its endpoints while
// the report is on its way).
type reportJob struct {
	c      oauth.Client
	access string
	r      oauth.Report
}

// rejection is a report the server refused because it no longer accepts
// the token it went out with.
type rejection struct {
	access string
	err    error
}

// reporter sends the loop's reports on a goroutine of its own, one at a
// time. The loop hears of a refused token through rejected.
type reporter struct {
	jobs     chan reportJob
	rejected chan rejection
	wg       sync.WaitGroup
}

// startReports starts the report sender when the profile takes reports
// (or a test set m.send), and returns the function that stops it: it
// waits for the report in flight, which ctx and reportTimeout bound. Run
// calls it before it returns, so no report outlives the Machine.
func (m *Machine) startReports(ctx context.Context) (stop func()) {
	if m.send == nil {
		rep, ok := m.Client.Wire().(oauth.Reporter)
		if !ok {
			return func() {}
		}
		m.send = rep.Report
	}
	rp := &reporter{jobs: make(chan reportJob, reportQueue), rejected: make(chan rejection, 1)}
	m.reporter = rp
	rp.wg.Add(1)
	go func() {
		defer rp.wg.Done()
		for job := range rp.jobs {
			rctx, cancel := context.WithTimeout(ctx, reportTimeout)
			err := m.send(rctx, &job.c, job.access, job.r)
			cancel()
			switch {
			case errors.Is(err, oauth.ErrGrantRejected):
				select {
				case rp.rejected <- rejection{access: job.access, err: err}:
				default: // the loop has one to handle already
				}
			case err != nil:
				m.Logger.Debug("error report not delivered", "type", job.r.Type, "err", err)
			}
		}
	}()
	return func() {
		close(rp.jobs)
		rp.wg.Wait()
		m.reporter = nil
	}
}

// report queues a failure for the server, when the profile takes reports
// and the device holds an unexpired access token to send it with. It never
// blocks.
func (m *Machine) report(severity, typ, msg string) {
	r := oauth.Report{Severity: severity, Type: typ, Message: msg,
		Metadata: map[string]string{"state": m.state.String()}}
	if m.onReport != nil {
		m.onReport(r)
	}
	t := m.rec.Tokens
	if m.reporter == nil || t.AccessToken == "" || !t.ExpiresAt.After(m.Clock.Now()) {
		return
	}
	select {
	case m.reporter.jobs <- reportJob{c: *m.Client, access: t.AccessToken, r: r}:
	default:
		m.Logger.Debug("error report dropped: the sender is behind", "type", typ)
	}
}

// rejections is where the loop hears that a report was refused for its
// token; nil (never ready) without a reporter.
func (m *Machine) rejections() <-chan rejection {
	if m.reporter == nil {
		return nil
	}
	return m.reporter.rejected
}
