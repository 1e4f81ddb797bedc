package oauth

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Endpoints are the server's URLs, from discovery (RFC 8414) or the config.
type Endpoints struct {
	// Issuer is the server's identifier; for discovery-less profiles it is
	// the base URL.
	Issuer              string
	DeviceAuthorization string
	Token               string
	// Revocation and Userinfo are optional.
	Revocation string
	Userinfo   string
}

// Client auth methods (RFC 6749 §2.3.1). A public client has no secret and
// sends client_id in the form.
const (
	AuthBasic = "client_secret_basic"
	AuthPost  = "client_secret_post"
)

// ClientConfig is what the device says about itself in each request.
type ClientConfig struct {
	ClientID string
	// ClientSecret is empty for a public client.
	ClientSecret string
	// AuthMethod is AuthBasic (the default) or AuthPost; it only matters
	// with a secret.
	AuthMethod string
	// Scope is sent only when not empty.
	Scope string
	// Params are extra form parameters for the device authorization
	// request, for example audience.
	Params url.Values
	// Device describes this device, for servers that register it (RomM,
	// the Data Exporter API).
	Device DeviceInfo
}

// DeviceInfo describes the device to servers that keep a device list.
type DeviceInfo struct {
	// ID is our own stable identifier (store.Device.ID): RomM dedupes
	// re-pairings on it.
	ID        string
	Name      string
	Model     string
	OSVersion string
	// ClientVersion is pairingd's version.
	ClientVersion string
}

// Grant is what a refresh spends.
type Grant struct {
	// RefreshToken is the refresh token; for the Data Exporter API, the
	// site's client secret. A secret: never log it.
	RefreshToken string
	// BoundDeviceID is the server's id for the device; for the Data
	// Exporter API, the site domain that goes with the secret.
	BoundDeviceID string
}

// DeviceAuth is a parsed device authorization response (RFC 8628 §3.2).
type DeviceAuth struct {
	// DeviceCode is a secret: never log it.
	DeviceCode              string
	UserCode                string
	VerificationURI         string
	VerificationURIComplete string
	// Interval is the minimum time between polls, already defaulted to 5 s
	// and clamped.
	Interval time.Duration
	// ExpiresIn is the code's lifetime, clamped.
	ExpiresIn time.Duration
	// Warnings lists what was fixed up (a clamped interval, say), for the
	// log.
	Warnings []string
}

// Token is a parsed successful token response (RFC 6749 §5.1).
type Token struct {
	// AccessToken and RefreshToken are secrets: never log them.
	AccessToken  string
	RefreshToken string
	TokenType    string
	Scope        string
	// ExpiresIn is zero when the server gave none.
	ExpiresIn time.Duration
	// BoundDeviceID is the server's id for this device, for profiles whose
	// server returns one.
	BoundDeviceID string
}

// Response is an HTTP response with its body already read (and limited),
// as the profiles parse it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Profile is the wire format of one kind of server: how requests are built
// and how responses and errors are parsed. The client, the loop and the
// store do not change between profiles.
//
// Parse methods return *OAuthError for OAuth error bodies,
// *TransientError for answers that say nothing about the grant, and the
// sentinel errors of this package for the rest.
type Profile interface {
	// Name is the config value that selects the profile.
	Name() string
	// DeviceAuthRequest builds the device authorization request.
	DeviceAuthRequest(ctx context.Context, ep Endpoints, c ClientConfig) (*http.Request, error)
	// ParseDeviceAuth parses the device authorization response.
	ParseDeviceAuth(r Response) (DeviceAuth, error)
	// TokenRequest builds one poll of the token endpoint.
	TokenRequest(ctx context.Context, ep Endpoints, c ClientConfig, deviceCode string) (*http.Request, error)
	// RefreshRequest builds a refresh token grant (RFC 6749 §6), or the
	// profile's equivalent.
	RefreshRequest(ctx context.Context, ep Endpoints, c ClientConfig, g Grant) (*http.Request, error)
	// ParseToken parses a token endpoint response, for polls and refreshes.
	// When it refuses a success answer with an error wrapping ErrBadToken,
	// the Token still holds whatever else the answer said (RefreshToken,
	// BoundDeviceID, ExpiresIn, Scope) and no AccessToken: the server may
	// have rotated the refresh token already. For every other error the
	// Token is zero. Errors never quote a secret of the body.
	ParseToken(r Response) (Token, error)
	// RevokeRequest builds a revocation request (RFC 7009); nil, nil when
	// the server has no revocation endpoint.
	RevokeRequest(ctx context.Context, ep Endpoints, c ClientConfig, token, hint string) (*http.Request, error)
}
