package oauth

import (
	"fmt"
	"strings"
)

// Spec is what the daemon knows of a profile before it reaches the server:
// its name, what the config must give, and how to make it. Each profile's
// file defines its Spec; registry lists them.
type Spec struct {
	// Name is the config's profile value, and Profile.Name of what New
	// returns.
	Name string
	// NeedsClientID says the server knows the device by a registered
	// OAuth client_id. Servers whose endpoints follow from the base URL
	// (FixedEndpoints) may need none: the base URL is all there is.
	NeedsClientID bool
	// DefaultScope is asked for when the config sets no scope.
	DefaultScope string
	// New makes the profile for the server at base, its issuer URL
	// without a trailing slash.
	New func(base string) Profile
}

// FixedEndpoints reports whether the profile's endpoints follow from the
// base URL, so that it needs no discovery and no endpoint settings.
func (s Spec) FixedEndpoints() bool {
	_, ok := s.New("").(FixedEndpoints)
	return ok
}

// registry is every profile, the default first. A new profile is its own
// file with its Spec, and one entry here.
var registry = []Spec{rfc8628Spec, autheliaSpec, rommSpec, dfcSpec}

// DefaultProfile is the profile of a config that names none.
var DefaultProfile = registry[0].Name

// ProfileNames lists the profiles in registry order, the default first.
func ProfileNames() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name
	}
	return names
}

// LookupProfile returns the Spec called name; "" is DefaultProfile.
func LookupProfile(name string) (Spec, error) {
	if name == "" {
		name = DefaultProfile
	}
	for _, s := range registry {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("unknown profile %q (want one of %s)", name, strings.Join(ProfileNames(), ", "))
}

// NewProfile returns the profile called name for the server at base (the
// issuer), which some profiles build every endpoint from.
func NewProfile(name, base string) (Profile, error) {
	s, err := LookupProfile(name)
	if err != nil {
		return nil, err
	}
	return s.New(strings.TrimSuffix(base, "/")), nil
}
