package pairing

import (
	"github.com/pairingd/pairingd/pairing/oauth"
)

// report hands a failure to Report, if any.
func (m *Machine) report(severity, typ, msg string) {
	if m.Report != nil {
		m.Report(oauth.Report{Severity: severity, Type: typ, Message: msg,
			Metadata: map[string]string{"state": m.state.String()}})
	}
}
