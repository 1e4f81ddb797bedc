// Package config reads pairingd's configuration from a TOML file, from
// PAIRINGD_* environment variables and from command-line flags; flags win
// over the environment, which wins over the file. Unknown keys and bad
// values are errors that name where they came from, the key and what is
// wrong, so a device builder can fix an image without reading source.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/pairingd/pairingd/internal/msg"
	"github.com/pairingd/pairingd/pairing/oauth"
)

// DefaultFile is read when no --config is given; it may be missing.
const DefaultFile = "/etc/pairingd/pairingd.toml"

// defaultFile is DefaultFile; a variable so tests can point it elsewhere.
var defaultFile = DefaultFile

// DefaultStateDir is used when neither state_dir nor $STATE_DIRECTORY is
// set.
const DefaultStateDir = "/var/lib/pairingd"

// Config is the daemon's configuration. The toml names are the keys of the
// file; flags use the same names with dashes, and the environment the
// upper-case names prefixed with PAIRINGD_.
type Config struct {
	// Profile is the server's wire protocol, one of oauth.ProfileNames.
	Profile string
	// HealthcheckURL is fetched at start, after pairing and every ten
	// minutes while paired (StandCloud's /hardpy/api/v1/healthcheck).
	HealthcheckURL string
	// InsecureSkipVerify turns TLS verification off; never the default.
	InsecureSkipVerify bool
	// Issuer is the server's issuer URL, for discovery (RFC 8414).
	Issuer string
	// Endpoints set one by one, instead of or over discovery.
	DeviceAuthorizationEndpoint string
	TokenEndpoint               string
	RevocationEndpoint          string
	UserinfoEndpoint            string
	ClientID                    string
	ClientSecret                string
	// ClientSecretFile holds the secret, so it stays out of the unit
	// and the environment.
	ClientSecretFile string
	// ClientAuthMethod is client_secret_basic (default) or
	// client_secret_post.
	ClientAuthMethod string
	Scope            string
	// AuthParams are extra device authorization parameters (audience).
	AuthParams map[string]string
	StateDir   string
	Display    string
	// Framebuffer is the fbdev device for display fb (and auto).
	Framebuffer string
	// Rotate turns the framebuffer picture clockwise: 0, 90, 180 or 270
	// (muOS 720×720 panels need 180, the RG28XX 90).
	Rotate         int
	CAFile         string
	DeviceName     string
	DeviceModel    string
	DeniedCooldown time.Duration
	// IdleAfter is how many codes in a row may expire with no key pressed
	// before the device waits for a key; -1 (the default, "auto") is 3
	// when the device has an input and never without; 0 is never.
	IdleAfter int
	// Input maps input codes (BTN_EAST, KEY_ENTER or a number) to keys
	// (A, B, X, Y, MENU or none), over the default map.
	Input     map[string]string
	LogLevel  string
	LogFormat string
	// LogOutput is stderr (under systemd: the journal) or syslog (for
	// BusyBox init, where stderr is lost).
	LogOutput string
	// App says pairingd runs as an application in the foreground (the
	// muOS launcher passes --app): B, Esc and MENU quit, so the launcher
	// returns and the system menu takes the screen back.
	App bool
	// Language is the screen's language, a tag of msg.Tags; "" leaves it
	// to the locale environment (msg.Choose).
	Language string
	// Socket is the local API's Unix socket; "" is DefaultSocket, "off"
	// serves none.
	Socket string
	// SocketGroup is the group whose members may use the local API.
	SocketGroup string
	// OnChange is a program run on every state change; "" runs none.
	OnChange string
	// OnChangeTimeout bounds one run of OnChange.
	OnChangeTimeout time.Duration

	// File is the config file that was read, "" when none.
	File string
	// origin says where each key's value came from, for errors.
	origin map[string]string
}

// key is one configuration key.
type key struct {
	name  string
	usage string
	set   func(c *Config, v string) error
	// table marks a TOML table (auth_params, input), set as a repeatable
	// flag named flag.
	table bool
	flag  string
	// boolean marks a key whose file value is true or false and whose
	// flag may stand alone (--app is --app=true).
	boolean bool
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func oneOf(p func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				*p(c) = v
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

var keys = []key{
	{name: "profile", usage: "server wire protocol: " + strings.Join(oauth.ProfileNames(), ", "), set: oneOf(func(c *Config) *string { return &c.Profile }, oauth.ProfileNames()...)},
	{name: "healthcheck_url", usage: "URL checked at start, after pairing and while paired (optional)", set: str(func(c *Config) *string { return &c.HealthcheckURL })},
	{name: "insecure_skip_verify", usage: "turn TLS certificate verification off (never in production; use ca_file)", set: setBool(func(c *Config) *bool { return &c.InsecureSkipVerify })},
	{name: "app", usage: "run as an app in the foreground: B/Esc/MENU quit", boolean: true, set: setBool(func(c *Config) *bool { return &c.App })},
	{name: "issuer", usage: "issuer URL; endpoints are discovered from it", set: str(func(c *Config) *string { return &c.Issuer })},
	{name: "device_authorization_endpoint", usage: "device authorization endpoint URL", set: str(func(c *Config) *string { return &c.DeviceAuthorizationEndpoint })},
	{name: "token_endpoint", usage: "token endpoint URL", set: str(func(c *Config) *string { return &c.TokenEndpoint })},
	{name: "revocation_endpoint", usage: "revocation endpoint URL (optional)", set: str(func(c *Config) *string { return &c.RevocationEndpoint })},
	{name: "userinfo_endpoint", usage: "userinfo endpoint URL (optional)", set: str(func(c *Config) *string { return &c.UserinfoEndpoint })},
	{name: "client_id", usage: "OAuth client id", set: str(func(c *Config) *string { return &c.ClientID })},
	{name: "client_secret", usage: "OAuth client secret (prefer client_secret_file)", set: str(func(c *Config) *string { return &c.ClientSecret })},
	{name: "client_secret_file", usage: "file holding the OAuth client secret", set: str(func(c *Config) *string { return &c.ClientSecretFile })},
	{name: "client_auth_method", usage: "client_secret_basic or client_secret_post", set: oneOf(func(c *Config) *string { return &c.ClientAuthMethod }, "client_secret_basic", "client_secret_post")},
	{name: "scope", usage: "space-separated scopes to request", set: str(func(c *Config) *string { return &c.Scope })},
	{name: "auth_params", usage: "extra device authorization parameter key=value (repeatable)", table: true, flag: "auth-param", set: setParam},
	{name: "state_dir", usage: "state directory (default $STATE_DIRECTORY, else " + DefaultStateDir + ")", set: str(func(c *Config) *string { return &c.StateDir })},
	{name: "display", usage: "auto, fb, term or plain", set: oneOf(func(c *Config) *string { return &c.Display }, "auto", "fb", "term", "plain")},
	{name: "framebuffer", usage: "framebuffer device for display fb", set: str(func(c *Config) *string { return &c.Framebuffer })},
	{name: "rotate", usage: "rotate the framebuffer picture clockwise: 0, 90, 180 or 270", set: setRotate},
	{name: "language", usage: "screen language (" + strings.Join(msg.Tags(), ", ") + "); default from LC_ALL, LC_MESSAGES or LANG", set: setLanguage},
	{name: "ca_file", usage: "PEM file of extra CA certificates to trust", set: str(func(c *Config) *string { return &c.CAFile })},
	{name: "device_name", usage: "device name (default: the host name)", set: str(func(c *Config) *string { return &c.DeviceName })},
	{name: "device_model", usage: "device model (default: /proc/device-tree/model)", set: str(func(c *Config) *string { return &c.DeviceModel })},
	{name: "denied_cooldown", usage: "wait after a denial before a new code, e.g. 30s", set: durationKey(func(c *Config) *time.Duration { return &c.DeniedCooldown })},
	{name: "idle_after", usage: "codes that may expire unseen before waiting for a key: auto (3 with an input), 0 (never) or a number", set: setIdleAfter},
	{name: "input", usage: "input code = key (A, B, X, Y, MENU, none), e.g. BTN_EAST=A; repeat for each", set: setInput, table: true, flag: "input"},
	{name: "socket", usage: "local API socket (default $RUNTIME_DIRECTORY/pairingd.sock, else " + fallbackSocket + "; with another state_dir, pairingd.sock in it); off for none", set: setSocket},
	{name: "socket_group", usage: "group whose members may use the local API", set: str(func(c *Config) *string { return &c.SocketGroup })},
	{name: "on_change", usage: "program run on every state change (old and new state in its environment)", set: setOnChange},
	{name: "on_change_timeout", usage: "how long on_change may run before it is killed, e.g. 30s", set: durationKey(func(c *Config) *time.Duration { return &c.OnChangeTimeout })},
	{name: "log_level", usage: "debug, info, warn or error", set: oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
	{name: "log_format", usage: "text or json", set: oneOf(func(c *Config) *string { return &c.LogFormat }, "text", "json")},
	{name: "log_output", usage: "stderr (the journal under systemd) or syslog", set: oneOf(func(c *Config) *string { return &c.LogOutput }, "stderr", "syslog")},
}

func setParam(c *Config, v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", v)
	}
	if k == "client_id" || k == "scope" || k == "client_secret" {
		return fmt.Errorf("%q cannot be set as an extra parameter; use its own key", k)
	}
	if c.AuthParams == nil {
		c.AuthParams = map[string]string{}
	}
	c.AuthParams[k] = val
	return nil
}

func setIdleAfter(c *Config, v string) error {
	if v == "auto" {
		c.IdleAfter = -1
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1000 {
		return fmt.Errorf("%q is not auto or a number from 0 to 1000", v)
	}
	c.IdleAfter = n
	return nil
}

// setInput takes "code=key"; the daemon checks the names when it opens
// the inputs, where the code names are known.
func setInput(c *Config, v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" || val == "" {
		return fmt.Errorf("%q is not code=key, like BTN_EAST=A", v)
	}
	if c.Input == nil {
		c.Input = map[string]string{}
	}
	c.Input[k] = val
	return nil
}

func setBool(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(c) = b
		return nil
	}
}

func setRotate(c *Config, v string) error {
	switch v {
	case "0", "90", "180", "270":
		c.Rotate, _ = strconv.Atoi(v)
		return nil
	}
	return fmt.Errorf("%q is not one of 0, 90, 180, 270", v)
}

// setLanguage takes a language tag or a locale name (de_DE.UTF-8, what a
// launcher may pass on) and keeps its tag; "" is no setting.
func setLanguage(c *Config, v string) error {
	tag, ok := msg.Parse(v)
	switch {
	case v == "":
		tag = ""
	case !ok:
		return fmt.Errorf("%q is not one of %s (or a locale like de_DE.UTF-8)", v, strings.Join(msg.Tags(), ", "))
	}
	c.Language = tag
	return nil
}

// maxSocketPath is the longest path a Unix socket address holds
// (sun_path is 108 bytes with its NUL).
const maxSocketPath = 107

func setSocket(c *Config, v string) error {
	switch {
	case v == "off":
	case !filepath.IsAbs(v):
		return fmt.Errorf("%q is not an absolute path (or off)", v)
	case len(v) > maxSocketPath:
		return fmt.Errorf("%q is longer than a Unix socket's %d bytes", v, maxSocketPath)
	}
	c.Socket = v
	return nil
}

func setOnChange(c *Config, v string) error {
	if v != "" && !filepath.IsAbs(v) {
		return fmt.Errorf("%q is not an absolute path: the program runs without a search path", v)
	}
	c.OnChange = v
	return nil
}

// durationKey sets a duration that must be more than zero.
func durationKey(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration like 30s or 2m", v)
		}
		if d <= 0 {
			// The pairing loop treats zero as its default.
			return fmt.Errorf("%q is not more than zero", v)
		}
		*p(c) = d
		return nil
	}
}

// Defaults returns the configuration before any source is read.
func Defaults() Config {
	return Config{
		Profile:         oauth.DefaultProfile,
		Display:         "auto",
		Framebuffer:     "/dev/fb0",
		DeniedCooldown:  30 * time.Second,
		IdleAfter:       -1,
		LogLevel:        "info",
		LogFormat:       "text",
		LogOutput:       "stderr",
		SocketGroup:     "pairingd",
		OnChangeTimeout: 30 * time.Second,
		origin:          map[string]string{},
	}
}

// Flags registers a flag for every key on fs and returns a function that,
// after fs.Parse, applies the flags that were set. --config is separate:
// see Load.
func Flags(fs *flag.FlagSet) func(c *Config) error {
	vals := map[string]*string{}
	params := map[string]*paramList{}
	for _, k := range keys {
		name := strings.ReplaceAll(k.name, "_", "-")
		if k.table {
			params[k.name] = &paramList{}
			fs.Var(params[k.name], k.flag, k.usage)
			continue
		}
		if k.boolean {
			v := new(string)
			fs.Var((*boolFlag)(v), name, k.usage)
			vals[k.name] = v
			continue
		}
		vals[k.name] = fs.String(name, "", k.usage)
	}
	return func(c *Config) error {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, k := range keys {
			name := strings.ReplaceAll(k.name, "_", "-")
			if k.table {
				for _, p := range *params[k.name] {
					if err := c.apply(k, p, "flag --"+k.flag); err != nil {
						return err
					}
				}
				continue
			}
			if set[name] {
				if err := c.apply(k, *vals[k.name], "flag --"+name); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// boolFlag is a boolean key's flag: it keeps the text given (checked
// by the key's set, so the error names the flag like any other) and may
// stand alone, meaning true.
type boolFlag string

func (b *boolFlag) String() string     { return string(*b) }
func (b *boolFlag) Set(v string) error { *b = boolFlag(v); return nil }
func (b *boolFlag) IsBoolFlag() bool   { return true }

type paramList []string

func (p *paramList) String() string     { return strings.Join(*p, ",") }
func (p *paramList) Set(v string) error { *p = append(*p, v); return nil }

func (c *Config) apply(k key, v, from string) error {
	if err := k.set(c, v); err != nil {
		return fmt.Errorf("%s: key %s: %w", from, k.name, err)
	}
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[k.name] = from
	return nil
}

// Load builds the configuration: defaults, then the file (file, else
// DefaultFile when it exists), then the environment (environ is
// os.Environ()), then applyFlags.
func Load(file string, environ []string, applyFlags func(*Config) error) (Config, error) {
	c := Defaults()
	explicit := file != ""
	if !explicit {
		file = defaultFile
	}
	if err := c.readFile(file); err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) {
			return c, err
		}
	} else {
		c.File = file
	}
	if err := c.readEnv(environ); err != nil {
		return c, err
	}
	if applyFlags != nil {
		if err := applyFlags(&c); err != nil {
			return c, err
		}
	}
	if c.StateDir == "" {
		for _, e := range environ {
			if v, ok := strings.CutPrefix(e, "STATE_DIRECTORY="); ok && v != "" {
				// systemd may pass several, colon-separated.
				c.StateDir, _, _ = strings.Cut(v, ":")
				c.origin["state_dir"] = "environment STATE_DIRECTORY"
			}
		}
	}
	if c.StateDir == "" {
		c.StateDir = DefaultStateDir
	}
	if c.Socket == "" {
		stateDir := c.StateDir
		if c.origin["state_dir"] == "environment STATE_DIRECTORY" {
			stateDir = DefaultStateDir // systemd's: the service's own
		}
		c.Socket = DefaultSocket(environ, stateDir)
	}
	return c, nil
}

// fallbackSocket is the local API's socket without $RUNTIME_DIRECTORY:
// where the commands of a user look for the daemon's.
const fallbackSocket = "/run/pairingd/pairingd.sock"

// DefaultSocket is the local API's socket when the socket key is not set.
// With the default state directory (or systemd's StateDirectory=) it is
// pairingd.sock in systemd's RuntimeDirectory= (the first, when it names
// several), else fallbackSocket: where the commands of other users look.
// With another state directory it is pairingd.sock in that directory, so
// that each daemon with state of its own has a socket of its own, and a
// command given the same --state-dir finds it.
func DefaultSocket(environ []string, stateDir string) string {
	if stateDir != "" && filepath.Clean(stateDir) != DefaultStateDir {
		return filepath.Join(stateDir, "pairingd.sock")
	}
	for _, e := range environ {
		if v, ok := strings.CutPrefix(e, "RUNTIME_DIRECTORY="); ok && v != "" {
			dir, _, _ := strings.Cut(v, ":")
			return filepath.Join(dir, "pairingd.sock")
		}
	}
	return fallbackSocket
}

// maxFileSize is the largest config file read, 64 KiB: a full config with
// every key and comment is a few KiB, and reading no more keeps a wrong
// --config (a log, a disk image) from exhausting a small device's memory.
const maxFileSize = 64 << 10

func (c *Config) readFile(file string) error {
	data, err := readLimited(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("config %s: %w", file, fs.ErrNotExist)
		}
		return fmt.Errorf("config %s: %w", file, err)
	}
	data = trimBOMs(data)
	scan := scanTOML(data)
	if scan.tooDeep >= 0 {
		return fmt.Errorf("config %s: line %d: keys, tables or arrays nested more than %d deep", file, 1+strings.Count(data[:scan.tooDeep], "\n"), maxNesting)
	}
	var raw map[string]any
	if _, err := toml.Decode(data, &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fmt.Errorf("config %s: %s", file, parseErrorText(scan, pe))
		}
		return fmt.Errorf("config %s: %w", file, err)
	}
	for _, n := range slices.Sorted(maps.Keys(raw)) {
		k, ok := lookup(n)
		if !ok {
			return fmt.Errorf("config %s: unknown key %q", file, n)
		}
		from := "config " + file
		v := raw[n]
		if k.table {
			t, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: key %s: want a table of strings, like [auth_params] audience = \"…\", got %s", from, n, tomlType(v))
			}
			for _, pk := range slices.Sorted(maps.Keys(t)) {
				pv := t[pk]
				s, ok := pv.(string)
				if !ok {
					return fmt.Errorf("%s: key %s.%s: want a string, got %s", from, n, pk, tomlType(pv))
				}
				if strings.Contains(pk, "=") {
					return fmt.Errorf("%s: key %s: parameter name %q contains \"=\"", from, n, pk)
				}
				if err := c.apply(k, pk+"="+s, from); err != nil {
					return err
				}
			}
			continue
		}
		if k.boolean {
			switch v.(type) {
			case bool, string:
			default:
				return fmt.Errorf("%s: key %s: want true or false, got %s", from, n, tomlType(v))
			}
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case bool:
			if !k.boolean && n != "insecure_skip_verify" {
				return fmt.Errorf("%s: key %s: want a string in double quotes, got %s", from, n, tomlType(v))
			}
			s = strconv.FormatBool(v)
		case int64:
			switch n {
			case "denied_cooldown":
				s = fmt.Sprintf("%ds", v)
			case "rotate", "idle_after":
				s = strconv.FormatInt(v, 10)
			default:
				// No value in the message: this may be client_secret.
				return fmt.Errorf("%s: key %s: want a string in double quotes, got %s", from, n, tomlType(v))
			}
		default:
			if n == "denied_cooldown" {
				return fmt.Errorf("%s: key %s: want whole seconds like 30 or a duration like \"30s\", got %s", from, n, tomlType(v))
			}
			return fmt.Errorf("%s: key %s: want a string in double quotes, got %s", from, n, tomlType(v))
		}
		if err := c.apply(k, s, from); err != nil {
			return err
		}
	}
	return nil
}

// initVars are the variables of /etc/default/pairingd that the init script
// and the unit pass on the command line; they are not config keys, and a
// unit's EnvironmentFile= exports them to the daemon.
var initVars = map[string]bool{"PAIRINGD_ARGS": true, "PAIRINGD_USER": true}

func (c *Config) readEnv(environ []string) error {
	for _, e := range environ {
		name, v, ok := strings.Cut(e, "=")
		if !ok || !strings.HasPrefix(name, "PAIRINGD_") || initVars[name] {
			continue
		}
		kn := strings.ToLower(strings.TrimPrefix(name, "PAIRINGD_"))
		k, ok := lookup(kn)
		if !ok {
			return fmt.Errorf("environment %s: unknown key %q", name, kn)
		}
		if k.table {
			// PAIRINGD_AUTH_PARAMS=audience=x&resource=y
			q, err := url.ParseQuery(v)
			if err != nil {
				return fmt.Errorf("environment %s: key %s: %v", name, kn, err)
			}
			for _, pk := range slices.Sorted(maps.Keys(q)) {
				pv := q[pk]
				if err := c.apply(k, pk+"="+pv[len(pv)-1], "environment "+name); err != nil {
					return err
				}
			}
			continue
		}
		if err := c.apply(k, v, "environment "+name); err != nil {
			return err
		}
	}
	return nil
}

// tomlType names the TOML type of a decoded value, for errors; it never
// shows the value, which may be a secret.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	case time.Time:
		return "a date"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// trimBOMs removes the byte order marks at the start of data. The parser
// skips one and counts error offsets after it; removing them all here
// keeps its offsets ours.
func trimBOMs(data string) string {
	for {
		t := data
		for _, bom := range []string{"\xef\xbb\xbf", "\xff\xfe", "\xfe\xff"} {
			t = strings.TrimPrefix(t, bom)
		}
		if t == data {
			return data
		}
		data = t
	}
}

// readLimited reads file, refusing one over maxFileSize without reading
// more than one byte past the limit.
func readLimited(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxFileSize {
		return "", fmt.Errorf("larger than the limit of %d KiB (%d bytes)", maxFileSize>>10, maxFileSize)
	}
	return string(b), nil
}

// parseErrorText describes a TOML syntax error in the text scan read.
// The parser's message quotes what it found, so when the error lies in a
// value, which may be a secret, the text names the line and the key
// instead and says how to write the value; errors in keys and table
// names keep the parser's message, since key names are not secret.
func parseErrorText(scan *tomlScan, pe toml.ParseError) string {
	off := min(max(pe.Position.Start, 0), max(len(scan.src)-1, 0))
	v, ok := scan.valueAt(off)
	if !ok {
		return fmt.Sprintf("line %d: %s", pe.Position.Line, pe.Message)
	}
	hint := fmt.Sprintf("strings go in double quotes, like %s = \"…\"", printable(v.name))
	if v.quoted {
		hint = `end a string with the quote it starts with, and write \ as \\ inside "…"`
	}
	return fmt.Sprintf("line %d: key %s: cannot parse the value (not shown); %s", pe.Position.Line, printable(v.key), hint)
}

// Keys returns the names of every configuration key, in the order of
// the flags' usage text, the TOML tables (auth_params, input) among them:
// what the README's key table and pairingd.toml(5) must list.
func Keys() []string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return names
}

func lookup(name string) (key, bool) {
	for _, k := range keys {
		if k.name == name {
			return k, true
		}
	}
	return key{}, false
}

// Origin says where key's value came from ("config /etc/…", "environment
// PAIRINGD_ISSUER", "flag --issuer"), or "default".
func (c *Config) Origin(key string) string {
	if o, ok := c.origin[key]; ok {
		return o
	}
	return "default"
}

// Errorf makes an error about key that names where its value came from.
func (c *Config) Errorf(key, format string, args ...any) error {
	return fmt.Errorf("%s: key %s: %s", c.Origin(key), key, fmt.Sprintf(format, args...))
}

// Secret returns the client secret, read from ClientSecretFile when set.
func (c *Config) Secret() (string, error) {
	if c.ClientSecretFile == "" {
		return c.ClientSecret, nil
	}
	if c.ClientSecret != "" {
		return "", c.Errorf("client_secret_file", "set together with client_secret; use one")
	}
	b, err := os.ReadFile(c.ClientSecretFile)
	if err != nil {
		return "", c.Errorf("client_secret_file", "%v", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", c.Errorf("client_secret_file", "%s is empty", c.ClientSecretFile)
	}
	return s, nil
}
