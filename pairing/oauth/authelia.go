package oauth

import (
	"errors"
	"net/http"
	"time"
)

// Authelia is RFC 8628 as a stock Authelia 4.39 speaks it (StandCloud and
// HardPy pair against it). The facts, measured on a running server:
//
//   - it never sends slow_down or expired_token: an expired code keeps
//     answering authorization_pending, so our own deadline from expires_in
//     decides;
//   - after a denial, and for a used or unknown code, the token endpoint
//     answers HTTP 500 {"error":"server_error"}: the code is dead, so it is
//     treated as "denied or cancelled" (a plain 5xx without that JSON body
//     stays a transient error);
//   - the token endpoint is rate limited per client address (30 a minute,
//     50 in 10 minutes, 100 an hour, counting every poll that is not a 200)
//     and answers 429 with Retry-After: polls are paced under those limits;
//   - refresh tokens rotate with no grace period; tokens are refreshed 10 s
//     before expiry, as StandCloud does.
type Authelia struct{ RFC8628 }

// Name implements Profile.
func (Authelia) Name() string { return autheliaSpec.Name }

// autheliaSpec: stock Authelia refuses authelia.bearer.authz for
// device-code clients, so its default scope is the set that works there
// and brings a refresh token.
var autheliaSpec = Spec{Name: "authelia", NeedsClientID: true, DefaultScope: "openid offline_access",
	New: func(string) Profile { return Authelia{} }}

// ParseToken implements Profile: RFC 8628, except that a JSON server_error
// from the token endpoint means the code is dead.
func (a Authelia) ParseToken(r Response) (Token, error) {
	tok, err := a.RFC8628.ParseToken(r)
	var oe *OAuthError
	if err != nil && r.Status >= http.StatusInternalServerError && errors.As(err, &oe) && oe.Code == CodeServerError {
		return Token{}, &OAuthError{Code: CodeAccessDenied, HTTPStatus: r.Status,
			Description: "The code was denied or cancelled"}
	}
	return tok, err
}

// PollLimits implements Pacer: Authelia's default token endpoint limits,
// with a margin, since a client restart forgets its history.
func (Authelia) PollLimits() []RateLimit {
	return []RateLimit{
		{N: 27, Per: time.Minute},
		{N: 45, Per: 10 * time.Minute},
		{N: 90, Per: time.Hour},
	}
}

// RefreshLead implements RefreshLeader: 10 s before expiry, StandCloud's
// buffer.
func (Authelia) RefreshLead(time.Duration) time.Duration { return 10 * time.Second }
