package oauth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth/oauthtest"
)

// A token answer that is refused still hands back what it carried: a
// server that rotates refresh tokens has already replaced the old one, so
// dropping the new one would leave the device with a dead grant. The
// refused access token is never handed back, and no secret is in the
// error.
func TestRefusedTokenKeepsTheRest(t *testing.T) {
	const (
		access  = "secret-access-token-1"
		rotated = "secret-rotated-refresh-1"
	)
	for _, tt := range []struct {
		name    string
		profile Profile
		refresh bool // Refresh rather than PollToken
		body    string
		want    Token
	}{
		{name: "rfc8628 refresh, token_type mac", profile: RFC8628{}, refresh: true,
			body: `{"access_token":"` + access + `","token_type":"mac","refresh_token":"` + rotated + `","expires_in":3600,"scope":"openid"}`,
			want: Token{RefreshToken: rotated, TokenType: "mac", Scope: "openid", ExpiresIn: time.Hour}},
		{name: "rfc8628 refresh, no access_token", profile: RFC8628{}, refresh: true,
			body: `{"token_type":"Bearer","refresh_token":"` + rotated + `","expires_in":60}`,
			want: Token{RefreshToken: rotated, TokenType: "Bearer", ExpiresIn: time.Minute}},
		{name: "rfc8628 poll, token_type is the refresh token", profile: RFC8628{},
			body: `{"access_token":"` + access + `","token_type":"` + rotated + `","refresh_token":"` + rotated + `"}`,
			want: Token{RefreshToken: rotated, TokenType: rotated}},
		{name: "authelia refresh, no access_token", profile: Authelia{}, refresh: true,
			body: `{"token_type":"bearer","expires_in":3599,"scope":"offline_access","refresh_token":"` + rotated + `"}`,
			want: Token{RefreshToken: rotated, TokenType: "bearer", Scope: "offline_access", ExpiresIn: 3599 * time.Second}},
		{name: "romm poll, no access_token", profile: RomM{Base: "https://romm.example"},
			body: `{"device_id":"0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f","scopes":["me.read","roms.read"]}`,
			want: Token{TokenType: "Bearer", Scope: "me.read roms.read", BoundDeviceID: "0b6c2b8e-4f1a-4c3b-9d2e-7a8b9c0d1e2f"}},
		{name: "dfc poll, secret without domain", profile: DFC{Base: "https://dfc.example"},
			body: `{"clientSecret":"` + rotated + `"}`,
			want: Token{RefreshToken: rotated, TokenType: "Bearer"}},
		{name: "dfc exchange, tokenType mac", profile: DFC{Base: "https://dfc.example"}, refresh: true,
			body: `{"token":"` + access + `","expiresIn":86400,"tokenType":"mac"}`,
			want: Token{TokenType: "mac", ExpiresIn: 24 * time.Hour}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &wireServer{handler: reply(200, oauthtest.JSONType, tt.body)}
			c := newWireClient(s, ClientConfig{ClientID: "dev-1"}, nil)
			c.Profile = tt.profile
			if fe, ok := tt.profile.(FixedEndpoints); ok {
				c.Endpoints = fe.Endpoints("https://as.example")
			}
			var got Token
			var err error
			if tt.refresh {
				got, err = c.Refresh(context.Background(), Grant{RefreshToken: "secret-old-refresh", BoundDeviceID: "site.example"})
			} else {
				got, err = c.PollToken(context.Background(), "secret-device-code")
			}
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("err = %v, want ErrBadToken", err)
			}
			if got != tt.want {
				t.Errorf("Token = %+v, want %+v", got, tt.want)
			}
			for _, secret := range []string{access, rotated} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q holds a token", err)
				}
			}
		})
	}
}
