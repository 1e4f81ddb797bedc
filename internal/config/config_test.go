package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing/oauth"
)

// writeConfig writes a config file into a fresh directory and returns its
// path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pairingd.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// load runs Load the way the daemon does: flags registered with Flags and
// parsed from args, then Load(file, environ, applyFlags).
func load(t *testing.T, file string, environ []string, args ...string) (Config, error) {
	t.Helper()
	fset := flag.NewFlagSet("pairingd", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	apply := Flags(fset)
	if err := fset.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return Load(file, environ, apply)
}

// noDefaultFile points the default config file at a path that does not
// exist, so tests never read the real /etc/pairingd/pairingd.toml.
func noDefaultFile(t *testing.T) {
	t.Helper()
	old := defaultFile
	defaultFile = filepath.Join(t.TempDir(), "absent", "pairingd.toml")
	t.Cleanup(func() { defaultFile = old })
}

// expand puts the config file's path where a want string says {file}.
func expand(s, file string) string { return strings.ReplaceAll(s, "{file}", file) }

func TestPrecedence(t *testing.T) {
	noDefaultFile(t)
	const file = `
issuer = "https://file.example"
client_id = "file-client"
display = "plain"
denied_cooldown = "10s"
log_level = "warn"
`
	issuer := func(c Config) string { return c.Issuer }
	clientID := func(c Config) string { return c.ClientID }
	display := func(c Config) string { return c.Display }
	cooldown := func(c Config) string { return c.DeniedCooldown.String() }
	logLevel := func(c Config) string { return c.LogLevel }
	logFormat := func(c Config) string { return c.LogFormat }
	scope := func(c Config) string { return c.Scope }

	for _, tt := range []struct {
		name       string
		env        []string
		args       []string
		key        string
		get        func(Config) string
		want       string
		wantOrigin string
	}{
		{"issuer from file", nil, nil, "issuer", issuer, "https://file.example", "config {file}"},
		{"issuer env over file", []string{"PAIRINGD_ISSUER=https://env.example"}, nil, "issuer", issuer, "https://env.example", "environment PAIRINGD_ISSUER"},
		{"issuer flag over env", []string{"PAIRINGD_ISSUER=https://env.example"}, []string{"--issuer", "https://flag.example"}, "issuer", issuer, "https://flag.example", "flag --issuer"},
		{"issuer flag over file", nil, []string{"-issuer=https://flag.example"}, "issuer", issuer, "https://flag.example", "flag --issuer"},
		{"client_id env over file", []string{"PAIRINGD_CLIENT_ID=env-client"}, nil, "client_id", clientID, "env-client", "environment PAIRINGD_CLIENT_ID"},
		{"client_id flag over env", []string{"PAIRINGD_CLIENT_ID=env-client"}, []string{"--client-id", "flag-client"}, "client_id", clientID, "flag-client", "flag --client-id"},
		{"display from file", nil, nil, "display", display, "plain", "config {file}"},
		{"display env over file", []string{"PAIRINGD_DISPLAY=term"}, nil, "display", display, "term", "environment PAIRINGD_DISPLAY"},
		{"display flag over env", []string{"PAIRINGD_DISPLAY=term"}, []string{"--display=auto"}, "display", display, "auto", "flag --display"},
		{"denied_cooldown from file", nil, nil, "denied_cooldown", cooldown, "10s", "config {file}"},
		{"denied_cooldown env over file", []string{"PAIRINGD_DENIED_COOLDOWN=1m"}, nil, "denied_cooldown", cooldown, "1m0s", "environment PAIRINGD_DENIED_COOLDOWN"},
		{"denied_cooldown flag over env", []string{"PAIRINGD_DENIED_COOLDOWN=1m"}, []string{"--denied-cooldown", "2m"}, "denied_cooldown", cooldown, "2m0s", "flag --denied-cooldown"},
		{"log_level flag over file", nil, []string{"--log-level", "debug"}, "log_level", logLevel, "debug", "flag --log-level"},
		{"log_format default", nil, nil, "log_format", logFormat, "text", "default"},
		{"log_format env over default", []string{"PAIRINGD_LOG_FORMAT=json"}, nil, "log_format", logFormat, "json", "environment PAIRINGD_LOG_FORMAT"},
		{"scope default is empty", nil, nil, "scope", scope, "", "default"},
		{"unrelated env is ignored", []string{"HOME=/root", "PATH=/bin", "NOT_PAIRINGD_ISSUER=x"}, nil, "issuer", issuer, "https://file.example", "config {file}"},
		{"last of duplicate env wins", []string{"PAIRINGD_ISSUER=https://a.example", "PAIRINGD_ISSUER=https://b.example"}, nil, "issuer", issuer, "https://b.example", "environment PAIRINGD_ISSUER"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, file)
			c, err := load(t, path, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("Load(%s, %q, %q) error: %v", path, tt.env, tt.args, err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("Load(%q, %q): %s = %q, want %q", tt.env, tt.args, tt.key, got, tt.want)
			}
			if got, want := c.Origin(tt.key), expand(tt.wantOrigin, path); got != want {
				t.Errorf("Load(%q, %q): Origin(%q) = %q, want %q", tt.env, tt.args, tt.key, got, want)
			}
			if c.File != path {
				t.Errorf("Load(%q, %q): File = %q, want %q", tt.env, tt.args, c.File, path)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	noDefaultFile(t)
	c, err := load(t, "", nil)
	if err != nil {
		t.Fatalf("Load with no file, env or flags: %v", err)
	}
	for _, tt := range []struct {
		key       string
		got, want any
	}{
		{"profile", c.Profile, "rfc8628"},
		{"display", c.Display, "auto"},
		{"denied_cooldown", c.DeniedCooldown, 30 * time.Second},
		{"log_level", c.LogLevel, "info"},
		{"log_format", c.LogFormat, "text"},
		{"state_dir", c.StateDir, DefaultStateDir},
		{"client_auth_method", c.ClientAuthMethod, ""},
		{"issuer", c.Issuer, ""},
	} {
		if tt.got != tt.want {
			t.Errorf("Load() %s = %v, want %v", tt.key, tt.got, tt.want)
		}
		if got := c.Origin(tt.key); got != "default" {
			t.Errorf("Load() Origin(%q) = %q, want %q", tt.key, got, "default")
		}
	}
	if c.File != "" {
		t.Errorf("Load() File = %q, want \"\" (no file read)", c.File)
	}
	if c.AuthParams != nil {
		t.Errorf("Load() AuthParams = %v, want none", c.AuthParams)
	}
}

func TestConfigFile(t *testing.T) {
	t.Run("explicit missing file is an error naming it", func(t *testing.T) {
		noDefaultFile(t)
		missing := filepath.Join(t.TempDir(), "nope.toml")
		_, err := load(t, missing, nil)
		if err == nil {
			t.Fatalf("Load(%s) = nil error, want an error for the missing file", missing)
		}
		if !strings.Contains(err.Error(), missing) {
			t.Errorf("Load(%s) = %v, want the error to name %s", missing, err, missing)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(%s) = %v, want errors.Is(err, fs.ErrNotExist)", missing, err)
		}
	})
	t.Run("missing default file is fine", func(t *testing.T) {
		noDefaultFile(t)
		c, err := load(t, "", []string{"PAIRINGD_ISSUER=https://env.example"})
		if err != nil {
			t.Fatalf("Load(\"\") with the default file missing = %v, want no error", err)
		}
		if c.File != "" || c.Issuer != "https://env.example" {
			t.Errorf("Load(\"\") = File %q, Issuer %q, want \"\", %q", c.File, c.Issuer, "https://env.example")
		}
	})
	t.Run("default file is read when it exists", func(t *testing.T) {
		path := writeConfig(t, `client_id = "from-default"`)
		old := defaultFile
		defaultFile = path
		t.Cleanup(func() { defaultFile = old })
		c, err := load(t, "", nil)
		if err != nil {
			t.Fatalf("Load(\"\") with default file %s: %v", path, err)
		}
		if c.File != path || c.ClientID != "from-default" || c.Origin("client_id") != "config "+path {
			t.Errorf("Load(\"\") = File %q, ClientID %q, Origin %q; want %q, %q, %q",
				c.File, c.ClientID, c.Origin("client_id"), path, "from-default", "config "+path)
		}
	})
	t.Run("broken default file is an error", func(t *testing.T) {
		path := writeConfig(t, `isuer = "x"`)
		old := defaultFile
		defaultFile = path
		t.Cleanup(func() { defaultFile = old })
		_, err := load(t, "", nil)
		if want := `config ` + path + `: unknown key "isuer"`; err == nil || err.Error() != want {
			t.Errorf("Load(\"\") = %v, want %s", err, want)
		}
	})
	t.Run("config path is a directory", func(t *testing.T) {
		noDefaultFile(t)
		dir := t.TempDir()
		_, err := load(t, dir, nil)
		if err == nil || !strings.Contains(err.Error(), "config "+dir) {
			t.Errorf("Load(%s) = %v, want an error naming %s", dir, err, dir)
		}
	})
}

func TestErrors(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name string
		file string
		env  []string
		args []string
		want string // the whole error; {file} is the config file's path
	}{
		{
			name: "unknown key in file",
			file: "issuer = \"https://a.example\"\nisuer = \"https://b.example\"\n",
			want: `config {file}: unknown key "isuer"`,
		},
		{
			name: "unknown table in file",
			file: "[server]\nissuer = \"https://a.example\"\n",
			want: `config {file}: unknown key "server"`,
		},
		{
			name: "dashed key in file",
			file: `client-id = "x"`,
			want: `config {file}: unknown key "client-id"`,
		},
		{
			name: "bad display value",
			file: `display = "vga"`,
			want: `config {file}: key display: "vga" is not one of auto, fb, term, plain`,
		},
		{
			name: "bad client_auth_method",
			file: `client_auth_method = "private_key_jwt"`,
			want: `config {file}: key client_auth_method: "private_key_jwt" is not one of client_secret_basic, client_secret_post`,
		},
		{
			name: "bad profile",
			file: `profile = "google"`,
			want: `config {file}: key profile: "google" is not one of ` + strings.Join(oauth.ProfileNames(), ", "),
		},
		{
			name: "number for a string",
			file: `client_id = 5`,
			want: `config {file}: key client_id: want a string in double quotes, got a number`,
		},
		{
			name: "boolean for a string",
			file: `scope = true`,
			want: `config {file}: key scope: want a string in double quotes, got a boolean`,
		},
		{
			name: "array for a string",
			file: `scope = ["openid", "email"]`,
			want: `config {file}: key scope: want a string in double quotes, got an array`,
		},
		{
			name: "table for a string",
			file: "[display]\nkind = \"term\"\n",
			want: `config {file}: key display: want a string in double quotes, got a table`,
		},
		{
			name: "syntax error has a line number",
			file: "issuer = \"https://a.example\"\n\nclient_id = \"unterminated\n",
			want: `config {file}: line 3: key client_id: cannot parse the value (not shown); ` + quoteHint,
		},
		{
			name: "unquoted string has a line number",
			file: "# comment\nissuer = https://a.example\n",
			want: `config {file}: line 2: key issuer: cannot parse the value (not shown); strings go in double quotes, like issuer = "…"`,
		},
		{
			name: "syntax error in a table name keeps the parser's message",
			file: "[auth_params\naudience = \"x\"\n",
			want: `config {file}: line 2: expected '.' or ']' to end table name, but got '\n' instead`,
		},
		{
			name: "duplicate key",
			file: "client_id = \"a\"\nclient_id = \"b\"\n",
			want: `config {file}: line 2: Key 'client_id' has already been defined.`,
		},
		{
			name: "unknown environment variable",
			env:  []string{"PAIRINGD_FOO=bar"},
			want: `environment PAIRINGD_FOO: unknown key "foo"`,
		},
		{
			name: "misspelt environment variable",
			env:  []string{"PAIRINGD_CLIENTID=x"},
			want: `environment PAIRINGD_CLIENTID: unknown key "clientid"`,
		},
		{
			name: "bad environment value",
			env:  []string{"PAIRINGD_LOG_LEVEL=loud"},
			want: `environment PAIRINGD_LOG_LEVEL: key log_level: "loud" is not one of debug, info, warn, error`,
		},
		{
			name: "bad flag value",
			args: []string{"--display", "vga"},
			want: `flag --display: key display: "vga" is not one of auto, fb, term, plain`,
		},
		{
			name: "bad log format flag",
			args: []string{"--log-format=xml"},
			want: `flag --log-format: key log_format: "xml" is not one of text, json`,
		},
		{
			name: "file error comes before env and flags",
			file: `display = "vga"`,
			env:  []string{"PAIRINGD_DISPLAY=term"},
			args: []string{"--display", "plain"},
			want: `config {file}: key display: "vga" is not one of auto, fb, term, plain`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(t, path, tt.env, tt.args...)
			want := expand(tt.want, path)
			if err == nil || err.Error() != want {
				t.Errorf("Load(%q, %q, %q) = %v, want %s", tt.file, tt.env, tt.args, err, want)
			}
		})
	}
}

func TestAuthParams(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name       string
		file       string
		env        []string
		args       []string
		want       map[string]string
		wantOrigin string
	}{
		{
			name:       "toml table",
			file:       "[auth_params]\naudience = \"x\"\n",
			want:       map[string]string{"audience": "x"},
			wantOrigin: "config {file}",
		},
		{
			name:       "toml inline table",
			file:       `auth_params = { audience = "x", resource = "https://r.example/" }`,
			want:       map[string]string{"audience": "x", "resource": "https://r.example/"},
			wantOrigin: "config {file}",
		},
		{
			name:       "repeatable flag",
			args:       []string{"--auth-param", "audience=x", "--auth-param=resource=y"},
			want:       map[string]string{"audience": "x", "resource": "y"},
			wantOrigin: "flag --auth-param",
		},
		{
			name:       "flag value may contain =",
			args:       []string{"--auth-param", "claims=a=b"},
			want:       map[string]string{"claims": "a=b"},
			wantOrigin: "flag --auth-param",
		},
		{
			name:       "flag empty value",
			args:       []string{"--auth-param", "prompt="},
			want:       map[string]string{"prompt": ""},
			wantOrigin: "flag --auth-param",
		},
		{
			name:       "environment query string",
			env:        []string{"PAIRINGD_AUTH_PARAMS=audience=x&resource=y"},
			want:       map[string]string{"audience": "x", "resource": "y"},
			wantOrigin: "environment PAIRINGD_AUTH_PARAMS",
		},
		{
			name:       "environment is URL-decoded",
			env:        []string{"PAIRINGD_AUTH_PARAMS=resource=https%3A%2F%2Fr.example%2F&audience=a+b"},
			want:       map[string]string{"resource": "https://r.example/", "audience": "a b"},
			wantOrigin: "environment PAIRINGD_AUTH_PARAMS",
		},
		{
			name:       "sources merge, later sources win per parameter",
			file:       "[auth_params]\naudience = \"file\"\nresource = \"file\"\norganization = \"file\"\n",
			env:        []string{"PAIRINGD_AUTH_PARAMS=audience=env&resource=env"},
			args:       []string{"--auth-param", "audience=flag"},
			want:       map[string]string{"audience": "flag", "resource": "env", "organization": "file"},
			wantOrigin: "flag --auth-param",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("Load(%q, %q, %q) error: %v", tt.file, tt.env, tt.args, err)
			}
			if !maps.Equal(c.AuthParams, tt.want) {
				t.Errorf("Load(%q, %q, %q) AuthParams = %v, want %v", tt.file, tt.env, tt.args, c.AuthParams, tt.want)
			}
			if got, want := c.Origin("auth_params"), expand(tt.wantOrigin, path); got != want {
				t.Errorf("Load(%q, %q, %q) Origin(auth_params) = %q, want %q", tt.file, tt.env, tt.args, got, want)
			}
		})
	}
}

func TestAuthParamsErrors(t *testing.T) {
	noDefaultFile(t)
	const refused = `cannot be set as an extra parameter; use its own key`
	for _, tt := range []struct {
		name string
		file string
		env  []string
		args []string
		want string
	}{
		{"client_id in file", "[auth_params]\nclient_id = \"x\"\n", nil, nil,
			`config {file}: key auth_params: "client_id" ` + refused},
		{"scope in file", "[auth_params]\naudience = \"a\"\nscope = \"openid\"\n", nil, nil,
			`config {file}: key auth_params: "scope" ` + refused},
		{"client_secret in file", "[auth_params]\nclient_secret = \"x\"\n", nil, nil,
			`config {file}: key auth_params: "client_secret" ` + refused},
		{"client_id flag", "", nil, []string{"--auth-param", "client_id=x"},
			`flag --auth-param: key auth_params: "client_id" ` + refused},
		{"scope env", "", []string{"PAIRINGD_AUTH_PARAMS=audience=a&scope=openid"}, nil,
			`environment PAIRINGD_AUTH_PARAMS: key auth_params: "scope" ` + refused},
		{"client_secret env", "", []string{"PAIRINGD_AUTH_PARAMS=client_secret=x"}, nil,
			`environment PAIRINGD_AUTH_PARAMS: key auth_params: "client_secret" ` + refused},
		{"flag without =", "", nil, []string{"--auth-param", "novalue"},
			`flag --auth-param: key auth_params: "novalue" is not key=value`},
		{"flag with empty name", "", nil, []string{"--auth-param", "=x"},
			`flag --auth-param: key auth_params: "=x" is not key=value`},
		{"bad env escape", "", []string{"PAIRINGD_AUTH_PARAMS=audience=%zz"}, nil,
			`environment PAIRINGD_AUTH_PARAMS: key auth_params: invalid URL escape "%zz"`},
		{"string instead of table", `auth_params = "audience=x"`, nil, nil,
			`config {file}: key auth_params: want a table of strings, like [auth_params] audience = "…", got a string`},
		{"number in table", "[auth_params]\nmax_age = 60\n", nil, nil,
			`config {file}: key auth_params.max_age: want a string, got a number`},
		{"= in a parameter name", "[auth_params]\n\"a=b\" = \"c\"\n", nil, nil,
			`config {file}: key auth_params: parameter name "a=b" contains "="`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(t, path, tt.env, tt.args...)
			want := expand(tt.want, path)
			if err == nil || err.Error() != want {
				t.Errorf("Load(%q, %q, %q) = %v, want %s", tt.file, tt.env, tt.args, err, want)
			}
		})
	}
}

func TestDeniedCooldown(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name    string
		file    string
		env     []string
		args    []string
		want    time.Duration
		wantErr string // whole error, {file} for the path; "" for none
	}{
		{name: "duration string", file: `denied_cooldown = "45s"`, want: 45 * time.Second},
		{name: "minutes", file: `denied_cooldown = "2m"`, want: 2 * time.Minute},
		{name: "integer seconds", file: `denied_cooldown = 45`, want: 45 * time.Second},
		{name: "environment", env: []string{"PAIRINGD_DENIED_COOLDOWN=90s"}, want: 90 * time.Second},
		{name: "flag", args: []string{"--denied-cooldown", "1m30s"}, want: 90 * time.Second},
		{name: "default", want: 30 * time.Second},
		{name: "negative string", file: `denied_cooldown = "-5s"`,
			wantErr: `config {file}: key denied_cooldown: "-5s" is not more than zero`},
		{name: "negative integer", file: `denied_cooldown = -5`,
			wantErr: `config {file}: key denied_cooldown: "-5s" is not more than zero`},
		{name: "zero is not silently the default", file: `denied_cooldown = 0`,
			wantErr: `config {file}: key denied_cooldown: "0s" is not more than zero`},
		{name: "not a duration", file: `denied_cooldown = "soon"`,
			wantErr: `config {file}: key denied_cooldown: "soon" is not a duration like 30s or 2m`},
		{name: "float", file: `denied_cooldown = 1.5`,
			wantErr: `config {file}: key denied_cooldown: want whole seconds like 30 or a duration like "30s", got a number`},
		{name: "bad env", env: []string{"PAIRINGD_DENIED_COOLDOWN=soon"},
			wantErr: `environment PAIRINGD_DENIED_COOLDOWN: key denied_cooldown: "soon" is not a duration like 30s or 2m`},
		{name: "negative flag", args: []string{"--denied-cooldown=-5s"},
			wantErr: `flag --denied-cooldown: key denied_cooldown: "-5s" is not more than zero`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if tt.wantErr != "" {
				want := expand(tt.wantErr, path)
				if err == nil || err.Error() != want {
					t.Errorf("Load(%q, %q, %q) = %v, want %s", tt.file, tt.env, tt.args, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q, %q, %q) error: %v", tt.file, tt.env, tt.args, err)
			}
			if c.DeniedCooldown != tt.want {
				t.Errorf("Load(%q, %q, %q) DeniedCooldown = %v, want %v", tt.file, tt.env, tt.args, c.DeniedCooldown, tt.want)
			}
		})
	}
}

// The language key keeps a tag, from a tag or a locale name; unset, it is
// "" whatever LANG says, since msg.Choose reads the locale.
func TestLanguage(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name    string
		file    string
		env     []string
		args    []string
		want    string
		wantErr string // whole error, {file} for the path; "" for none
	}{
		{name: "default", want: ""},
		{name: "locale environment is not the key", env: []string{"LANG=de_DE.UTF-8", "LC_ALL=fr_FR.UTF-8"}, want: ""},
		{name: "file", file: `language = "de"`, want: "de"},
		{name: "locale name", file: `language = "pt_BR.UTF-8"`, want: "pt"},
		{name: "C", file: `language = "C"`, want: "en"},
		{name: "empty is unset", file: `language = ""`, want: ""},
		{name: "environment", env: []string{"PAIRINGD_LANGUAGE=it"}, want: "it"},
		{name: "flag over file", file: `language = "de"`, args: []string{"--language", "es_ES"}, want: "es"},
		{name: "unknown", file: `language = "ja"`,
			wantErr: `config {file}: key language: "ja" is not one of en, de, fr, es, pt, it (or a locale like de_DE.UTF-8)`},
		{name: "a name, not a tag", args: []string{"--language=Deutsch"},
			wantErr: `flag --language: key language: "Deutsch" is not one of en, de, fr, es, pt, it (or a locale like de_DE.UTF-8)`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if tt.wantErr != "" {
				want := expand(tt.wantErr, path)
				if err == nil || err.Error() != want {
					t.Errorf("Load(%q, %q, %q) = %v, want %s", tt.file, tt.env, tt.args, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load(%q, %q, %q) error: %v", tt.file, tt.env, tt.args, err)
			}
			if got := c.Language; got != tt.want {
				t.Errorf("Load(%q, %q, %q) Language = %q, want %q", tt.file, tt.env, tt.args, got, tt.want)
			}
		})
	}
}

func TestStateDir(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name       string
		file       string
		env        []string
		args       []string
		want       string
		wantOrigin string
	}{
		{name: "default", want: DefaultStateDir, wantOrigin: "default"},
		{name: "STATE_DIRECTORY", env: []string{"STATE_DIRECTORY=/var/lib/private/pairingd"},
			want: "/var/lib/private/pairingd", wantOrigin: "environment STATE_DIRECTORY"},
		{name: "first of several STATE_DIRECTORY", env: []string{"STATE_DIRECTORY=/var/lib/pairingd-a:/var/lib/pairingd-b"},
			want: "/var/lib/pairingd-a", wantOrigin: "environment STATE_DIRECTORY"},
		{name: "empty STATE_DIRECTORY", env: []string{"STATE_DIRECTORY="},
			want: DefaultStateDir, wantOrigin: "default"},
		{name: "file over STATE_DIRECTORY", file: `state_dir = "/data/pairingd"`, env: []string{"STATE_DIRECTORY=/var/lib/x"},
			want: "/data/pairingd", wantOrigin: "config {file}"},
		{name: "env over STATE_DIRECTORY", env: []string{"STATE_DIRECTORY=/var/lib/x", "PAIRINGD_STATE_DIR=/env/pairingd"},
			want: "/env/pairingd", wantOrigin: "environment PAIRINGD_STATE_DIR"},
		{name: "flag over env, file and STATE_DIRECTORY", file: `state_dir = "/data/pairingd"`,
			env:  []string{"STATE_DIRECTORY=/var/lib/x", "PAIRINGD_STATE_DIR=/env/pairingd"},
			args: []string{"--state-dir", "/flag/pairingd"},
			want: "/flag/pairingd", wantOrigin: "flag --state-dir"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("Load(%q, %q, %q) error: %v", tt.file, tt.env, tt.args, err)
			}
			if c.StateDir != tt.want {
				t.Errorf("Load(%q, %q, %q) StateDir = %q, want %q", tt.file, tt.env, tt.args, c.StateDir, tt.want)
			}
			if got, want := c.Origin("state_dir"), expand(tt.wantOrigin, path); got != want {
				t.Errorf("Load(%q, %q, %q) Origin(state_dir) = %q, want %q", tt.file, tt.env, tt.args, got, want)
			}
		})
	}
}

// secret is the client secret used by the secret tests; it is letters only
// so a parser error that quotes it would quote all of it.
const secret = "hunterpasswordvalue"

func TestSecret(t *testing.T) {
	noDefaultFile(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secretFile := write("secret", "\n  "+secret+"\n\n")
	emptyFile := write("empty", " \n\t\n")
	missingFile := filepath.Join(dir, "missing")

	for _, tt := range []struct {
		name    string
		file    string
		env     []string
		args    []string
		want    string
		wantErr string // whole error; {file} for the config file's path
	}{
		{name: "none", want: ""},
		{name: "client_secret in file", file: `client_secret = "` + secret + `"`, want: secret},
		{name: "client_secret from env", env: []string{"PAIRINGD_CLIENT_SECRET=" + secret}, want: secret},
		{name: "client_secret_file, trimmed", file: `client_secret_file = "` + secretFile + `"`, want: secret},
		{name: "client_secret_file from flag", args: []string{"--client-secret-file", secretFile}, want: secret},
		{name: "both set", file: `client_secret = "` + secret + `"` + "\n" + `client_secret_file = "` + secretFile + `"`,
			wantErr: `config {file}: key client_secret_file: set together with client_secret; use one`},
		{name: "both set, file from env", file: `client_secret = "` + secret + `"`, env: []string{"PAIRINGD_CLIENT_SECRET_FILE=" + secretFile},
			wantErr: `environment PAIRINGD_CLIENT_SECRET_FILE: key client_secret_file: set together with client_secret; use one`},
		{name: "missing file", file: `client_secret_file = "` + missingFile + `"`,
			wantErr: `config {file}: key client_secret_file: open ` + missingFile + `: no such file or directory`},
		{name: "directory", args: []string{"--client-secret-file", dir},
			wantErr: `flag --client-secret-file: key client_secret_file: read ` + dir + `: is a directory`},
		{name: "empty file", file: `client_secret_file = "` + emptyFile + `"`,
			wantErr: `config {file}: key client_secret_file: ` + emptyFile + ` is empty`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("Load(%q, %q, %q) error: %v", tt.file, tt.env, tt.args, err)
			}
			got, err := c.Secret()
			if tt.wantErr != "" {
				want := expand(tt.wantErr, path)
				if err == nil || err.Error() != want {
					t.Errorf("Secret() = %v, want %s", err, want)
				}
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("Secret() error %q contains the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Secret() error: %v", err)
			}
			if got != tt.want {
				t.Errorf("Secret() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSecretNotInErrors feeds the secret through every mistake a device
// builder might make around it and checks no error shows it.
func TestSecretNotInErrors(t *testing.T) {
	noDefaultFile(t)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		file string
		env  []string
		args []string
	}{
		{name: "unquoted in file", file: "client_secret = " + secret + "\n"},
		{name: "unquoted in file with comment", file: "client_id = \"x\"\n  client_secret = " + secret + " # the secret\n"},
		{name: "quoted key, unquoted value", file: `"client_secret" = ` + secret + "\n"},
		{name: "unterminated", file: `client_secret = "` + secret + "\n"},
		{name: "unterminated literal", file: `client_secret = '` + secret + "\n"},
		{name: "bad escape", file: `client_secret = "\` + secret + `"` + "\n"},
		{name: "trailing garbage", file: `client_secret = "x"` + secret + "\n"},
		{name: "numeric secret", file: "client_secret = 1234567890\n"},
		{name: "as an auth param in file", file: "[auth_params]\nclient_secret = \"" + secret + "\"\n"},
		{name: "as an auth param flag", args: []string{"--auth-param", "client_secret=" + secret}},
		{name: "as an auth param env", env: []string{"PAIRINGD_AUTH_PARAMS=client_secret=" + secret}},
		{name: "with another bad key", file: `client_secret = "` + secret + `"` + "\ndisplay = \"vga\"\n"},
		{name: "env with a bad variable", env: []string{"PAIRINGD_CLIENT_SECRET=" + secret, "PAIRINGD_DISPLAY=vga"}},
		{name: "both set", file: `client_secret = "` + secret + `"`, args: []string{"--client-secret-file", secretFile}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if err == nil {
				_, err = c.Secret()
			}
			if err == nil {
				t.Fatalf("Load(%q, %q, %q) and Secret() = nil error, want one", tt.file, tt.env, tt.args)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "1234567890") {
				t.Errorf("Load(%q, %q, %q) = %v, which shows the secret", tt.file, tt.env, tt.args, err)
			}
			// Still useful: it names the file when the file is at fault.
			if tt.file != "" && tt.env == nil && tt.args == nil && !strings.Contains(err.Error(), path) {
				t.Errorf("Load(%q) = %v, want it to name %s", tt.file, err, path)
			}
		})
	}
}

func TestErrorf(t *testing.T) {
	noDefaultFile(t)
	path := writeConfig(t, `issuer = "ftp://x"`)
	c, err := load(t, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		key  string
		want string
	}{
		{"issuer", `config ` + path + `: key issuer: must be https`},
		{"client_id", `default: key client_id: must be https`},
	} {
		if got := c.Errorf(tt.key, "must be %s", "https").Error(); got != tt.want {
			t.Errorf("Errorf(%q, ...) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// TestKeys checks Keys names every key once, in order, tables included:
// the README's key table is checked against it (internal/manpage).
func TestKeys(t *testing.T) {
	got := Keys()
	if len(got) != len(keys) {
		t.Fatalf("Keys() has %d names, want %d (one a key)", len(got), len(keys))
	}
	seen := map[string]bool{}
	for i, name := range got {
		if name != keys[i].name {
			t.Errorf("Keys()[%d] = %q, want %q", i, name, keys[i].name)
		}
		if seen[name] {
			t.Errorf("Keys() names %q twice", name)
		}
		seen[name] = true
	}
	for _, table := range []string{"auth_params", "input"} {
		if !seen[table] {
			t.Errorf("Keys() = %q, want the table %s among them", got, table)
		}
	}
	// A caller's change to the slice must not reach the next caller.
	got[0] = "changed"
	if again := Keys(); again[0] == "changed" {
		t.Errorf("Keys() returns the same slice each time; want a copy")
	}
}

// TestFlagsNames checks every key has a flag, named with dashes, so the
// usage text and the docs match.
func TestFlagsNames(t *testing.T) {
	fset := flag.NewFlagSet("pairingd", flag.ContinueOnError)
	Flags(fset)
	for _, k := range keys {
		name := strings.ReplaceAll(k.name, "_", "-")
		if k.table {
			name = "auth-param"
		}
		if fset.Lookup(name) == nil {
			t.Errorf("Flags: no --%s for key %s", name, k.name)
		}
	}
}

const exampleFile = "../../pairingd.example.toml"

// settingLine matches a commented-out setting in the example: "#key = value"
// or "#[table]", with no space after the "#" (prose has one).
var settingLine = regexp.MustCompile(`^#([a-z_]+ = .*|\[[a-z_]+\])$`)

func TestExampleConfigParses(t *testing.T) {
	noDefaultFile(t)
	c, err := Load(exampleFile, nil, nil)
	if err != nil {
		t.Fatalf("Load(%s) = %v, want no error", exampleFile, err)
	}
	// As installed it names no server: a fresh install waits, "not
	// configured", instead of asking a placeholder.
	if c.Issuer != "" || c.ClientID != "" {
		t.Errorf("Load(%s): issuer %q, client_id %q, want both unset until the builder sets them", exampleFile, c.Issuer, c.ClientID)
	}

	// With every commented-out setting turned on, it still loads, it
	// names every key, and the ones with defaults show the defaults.
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	shown := map[string]bool{}
	for i, l := range lines {
		if settingLine.MatchString(l) {
			lines[i] = l[1:]
		}
		if k, _, ok := strings.Cut(strings.TrimPrefix(lines[i], "#"), " = "); ok && !strings.HasPrefix(lines[i], "# ") {
			shown[k] = true
		}
		if t := strings.TrimPrefix(lines[i], "#"); strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			shown[strings.Trim(t, "[]")] = true
		}
	}
	all := writeConfig(t, strings.Join(lines, "\n"))
	full, err := Load(all, nil, nil)
	if err != nil {
		t.Fatalf("Load(%s with every setting uncommented) = %v, want no error", exampleFile, err)
	}
	for _, k := range keys {
		if !shown[k.name] {
			t.Errorf("%s does not show key %s", exampleFile, k.name)
		}
	}
	d := Defaults()
	for _, tt := range []struct {
		key       string
		got, want any
	}{
		{"profile", full.Profile, d.Profile},
		{"display", full.Display, d.Display},
		{"denied_cooldown", full.DeniedCooldown, d.DeniedCooldown},
		{"log_level", full.LogLevel, d.LogLevel},
		{"log_format", full.LogFormat, d.LogFormat},
		{"state_dir", full.StateDir, DefaultStateDir},
		{"client_auth_method", full.ClientAuthMethod, "client_secret_basic"}, // "" means basic
	} {
		if tt.got != tt.want {
			t.Errorf("%s shows %s = %v, want the default %v", exampleFile, tt.key, tt.got, tt.want)
		}
	}
	if len(full.AuthParams) == 0 {
		t.Errorf("%s: [auth_params] example parsed to no parameters; is it still the last table?", exampleFile)
	}
}

// PAIRINGD_ARGS and PAIRINGD_USER belong to the init script and the unit's
// EnvironmentFile=; they are not config keys and must not stop the daemon.
func TestInitVariablesIgnored(t *testing.T) {
	noDefaultFile(t)
	c, err := Load("", []string{"PAIRINGD_ARGS=--display plain", "PAIRINGD_USER=pairingd", "PAIRINGD_CLIENT_ID=x"}, nil)
	if err != nil {
		t.Fatalf("Load with PAIRINGD_ARGS and PAIRINGD_USER: %v", err)
	}
	if c.ClientID != "x" || c.Display != "auto" {
		t.Errorf("client_id %q display %q, want x and auto", c.ClientID, c.Display)
	}
}

// TestREADMEConfigs loads every TOML example in the README, so that a
// device builder who copies one gets a config pairingd accepts.
func TestREADMEConfigs(t *testing.T) {
	noDefaultFile(t)
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```toml\n")[1:]
	if len(blocks) < 6 {
		t.Fatalf("found %d TOML examples in README.md, want at least 6", len(blocks))
	}
	for i, blk := range blocks {
		text, _, _ := strings.Cut(blk, "```")
		f := filepath.Join(t.TempDir(), fmt.Sprintf("example%d.toml", i))
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(f, nil, nil); err != nil {
			t.Errorf("README example %d does not load: %v\n%s", i+1, err, text)
		}
	}
}

// quoteHint ends the error for a value that starts with a quote but does
// not parse.
const quoteHint = `end a string with the quote it starts with, and write \ as \\ inside "…"`

// TestParseErrorsHideValues checks that a TOML syntax error inside a value
// names the line and the key but never shows the value, which may be a
// secret (client_secret, or an auth_params value such as a private
// audience).
func TestParseErrorsHideValues(t *testing.T) {
	noDefaultFile(t)
	const value = "abcdefsecret"
	unquoted := func(line int, key, name string) string {
		return fmt.Sprintf(`config {file}: line %d: key %s: cannot parse the value (not shown); strings go in double quotes, like %s = "…"`, line, key, name)
	}
	quoted := func(line int, key string) string {
		return fmt.Sprintf(`config {file}: line %d: key %s: cannot parse the value (not shown); %s`, line, key, quoteHint)
	}
	for _, tt := range []struct {
		name string
		file string
		want string // the whole error; {file} is the config file's path
	}{
		{"unquoted auth_params value", "[auth_params]\naudience = " + value + "\n",
			unquoted(2, "auth_params.audience", "audience")},
		{"unquoted auth_params value after others", "client_id = \"x\"\n\n[auth_params]\nresource = \"r\"\n  audience   =   " + value + "   # private\n",
			unquoted(5, "auth_params.audience", "audience")},
		{"unquoted value of a quoted key", "[auth_params]\n\"my.param\" = " + value + "\n",
			unquoted(2, `auth_params."my.param"`, `"my.param"`)},
		{"unquoted dotted key", "auth_params.audience = " + value + "\n",
			unquoted(1, "auth_params.audience", "audience")},
		{"unquoted in an inline table", "auth_params = { resource = \"r\", audience = " + value + " }\n",
			unquoted(1, "auth_params.audience", "audience")},
		{"unquoted in a multi-line array", "scope = [\n  \"openid\",\n  " + value + ",\n]\n",
			unquoted(3, "scope", "scope")},
		{"unquoted top-level value", "issuer = " + value + "\n",
			unquoted(1, "issuer", "issuer")},
		{"date-like value", "[auth_params]\naudience = 1979-05-27T" + value + "\n",
			unquoted(2, "auth_params.audience", "audience")},
		{"number-like value", "[auth_params]\naudience = 12e3" + value + "\n",
			unquoted(2, "auth_params.audience", "audience")},
		{"huge number", "[auth_params]\naudience = 99999999999999999999999\n",
			unquoted(2, "auth_params.audience", "audience")},
		{"text after a quoted value", "[auth_params]\naudience = \"x\"" + value + "\n",
			quoted(2, "auth_params.audience")},
		{"unterminated string", "[auth_params]\naudience = \"" + value + "\n",
			quoted(2, "auth_params.audience")},
		{"unterminated literal string", "[auth_params]\naudience = '" + value + "\n",
			quoted(2, "auth_params.audience")},
		{"bad unicode escape", "[auth_params]\naudience = \"\\u00z" + value + "\"\n",
			quoted(2, "auth_params.audience")},
		{"unterminated multi-line string", "client_secret = \"\"\"\n" + value + "\n",
			quoted(2, "client_secret")},
		{"bad escape in a multi-line string", "client_secret = \"\"\"\nabc\ndef\\q" + value + "\"\"\"\n",
			quoted(3, "client_secret")},
		{"value on the next line", "client_secret =\n" + value + "\n",
			unquoted(1, "client_secret", "client_secret")},
		{"byte order mark", "\ufeff[auth_params]\naudience = " + value + "\n",
			unquoted(2, "auth_params.audience", "audience")},
		{"CRLF line ends", "client_id = \"x\"\r\n[auth_params]\r\naudience = " + value + "\r\n",
			unquoted(3, "auth_params.audience", "audience")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(t, path, nil)
			want := expand(tt.want, path)
			if err == nil || err.Error() != want {
				t.Errorf("Load(%q) = %v, want %s", tt.file, err, want)
			}
			if err != nil && (strings.Contains(err.Error(), value) || strings.Contains(err.Error(), "9999")) {
				t.Errorf("Load(%q) = %v, which shows the value", tt.file, err)
			}
		})
	}
}

// TestDuplicateKeys checks a key set twice is reported as set twice, even
// client_secret, and without its value.
func TestDuplicateKeys(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name string
		file string
		want string // the whole error; {file} is the config file's path
	}{
		{"client_secret", "client_secret = \"" + secret + "\"\nclient_secret = \"" + secret + "\"\n",
			`config {file}: line 2: Key 'client_secret' has already been defined.`},
		{"client_secret, quoted key", "client_secret = \"" + secret + "\"\n\"client_secret\" = \"" + secret + "\"\n",
			`config {file}: line 2: Key 'client_secret' has already been defined.`},
		{"client_secret, multi-line strings", "client_secret = '''\n" + secret + "'''\nclient_secret = \"\"\"\n" + secret + "\"\"\"\n",
			`config {file}: line 3: Key 'client_secret' has already been defined.`},
		{"client_secret, indented after a comment", "# the secret\n  client_secret = \"" + secret + "\" # one\n\tclient_secret = \"" + secret + "\" # two\n",
			`config {file}: line 3: Key 'client_secret' has already been defined.`},
		{"auth_params value", "[auth_params]\naudience = \"" + secret + "\"\naudience = \"" + secret + "\"\n",
			`config {file}: line 3: Key 'auth_params.audience' has already been defined.`},
		{"inline table value", "auth_params = { audience = \"" + secret + "\", audience = \"" + secret + "\" }\n",
			`config {file}: line 1: Key 'auth_params.audience' has already been defined.`},
		{"table", "[auth_params]\naudience = \"" + secret + "\"\n[auth_params]\n",
			`config {file}: line 3: Key 'auth_params' has already been defined.`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(t, path, nil)
			want := expand(tt.want, path)
			if err == nil || err.Error() != want {
				t.Errorf("Load(%q) = %v, want %s", tt.file, err, want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("Load(%q) = %v, which shows the secret", tt.file, err)
			}
		})
	}
}

// TestFileSizeLimit checks a config file over 64 KiB is refused without
// being read whole: a 512 MB device must not run out of memory over a
// mistaken --config.
func TestFileSizeLimit(t *testing.T) {
	noDefaultFile(t)
	const limit = 64 << 10
	// padded is a valid config of exactly n bytes.
	padded := func(n int) string {
		s := "client_id = \"x\"\n"
		for len(s) < n-2 {
			s += "#" + strings.Repeat("x", min(78, n-len(s)-2)) + "\n"
		}
		return s + strings.Repeat("\n", n-len(s))
	}
	tooLarge := `config {file}: larger than the limit of 64 KiB (65536 bytes)`
	for _, tt := range []struct {
		name    string
		size    int64
		sparse  bool   // a file of NUL bytes made by truncating, not writing
		wantErr string // the whole error, {file} for the path; "" for none
	}{
		{name: "at the limit", size: limit},
		{name: "one byte over", size: limit + 1, wantErr: tooLarge},
		{name: "100 MB", size: 100 << 20, sparse: true, wantErr: tooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, "")
			if tt.sparse {
				if err := os.Truncate(path, tt.size); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(padded(int(tt.size))), 0o600); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			c, err := load(t, path, nil)
			runtime.ReadMemStats(&after)
			if tt.wantErr == "" {
				if err != nil || c.ClientID != "x" {
					t.Fatalf("Load(%d-byte file) = client_id %q, %v; want \"x\", no error", tt.size, c.ClientID, err)
				}
				return
			}
			if want := expand(tt.wantErr, path); err == nil || err.Error() != want {
				t.Errorf("Load(%d-byte file) = %v, want %s", tt.size, err, want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("Load(%d-byte file) allocated %d bytes, want at most 1 MiB", tt.size, got)
			}
		})
	}
}

// TestNestingLimit checks keys, tables and arrays nested past any real
// config are refused at once: the TOML parser takes minutes over a 64 KiB
// dotted key.
func TestNestingLimit(t *testing.T) {
	noDefaultFile(t)
	parts := func(n int) string { return strings.TrimSuffix(strings.Repeat("p.", n), ".") }
	tooDeep := func(line int) string {
		return fmt.Sprintf(`config {file}: line %d: keys, tables or arrays nested more than 16 deep`, line)
	}
	for _, tt := range []struct {
		name string
		file string
		want string // the whole error; {file} is the config file's path
	}{
		{"16-part key", "client_id = \"x\"\nauth_params." + parts(15) + " = \"x\"\n",
			`config {file}: key auth_params.p: want a string, got a table`},
		{"17-part key", "client_id = \"x\"\nauth_params." + parts(16) + " = \"x\"\n", tooDeep(2)},
		{"30000-part key", parts(30000) + " = \"x\"\n", tooDeep(1)},
		{"17-part table name", "client_id = \"x\"\n\n[auth_params." + parts(16) + "]\n", tooDeep(3)},
		{"16 nested arrays", "scope = " + strings.Repeat("[", 16) + strings.Repeat("]", 16) + "\n",
			`config {file}: key scope: want a string in double quotes, got an array`},
		{"17 nested arrays", "scope = " + strings.Repeat("[", 17) + strings.Repeat("]", 17) + "\n", tooDeep(1)},
		{"17 nested inline tables", "auth_params = " + strings.Repeat("{a=", 17) + "1" + strings.Repeat("}", 17) + "\n", tooDeep(1)},
		{"dots and brackets in strings and comments do not count", strings.Join([]string{
			"# " + strings.Repeat("[", 20),
			"client_id = \"" + parts(20) + strings.Repeat("[", 20) + "\"",
			"scope = '''" + strings.Repeat("{[", 20) + "'''",
			"display = \"vga\"",
			"[auth_params]",
			"\"" + parts(20) + "\" = \"x\"",
		}, "\n"), `config {file}: key display: "vga" is not one of auto, fb, term, plain`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			start := time.Now()
			_, err := load(t, path, nil)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Load(%.40q…) took %v, want well under 5s", tt.file, d)
			}
			want := expand(tt.want, path)
			if err == nil || err.Error() != want {
				t.Errorf("Load(%.200q) = %.300v, want %s", tt.file, err, want)
			}
		})
	}
}

// idle_after is auto by default, a count, or 0 for never; [input] maps codes
// to keys from the file, the environment and repeated flags.
func TestIdleAfterAndInput(t *testing.T) {
	for _, tt := range []struct {
		name    string
		file    string
		env     []string
		args    []string
		idle    int
		input   map[string]string
		wantErr string
	}{
		{name: "defaults", idle: -1},
		{name: "auto", file: `idle_after = "auto"`, idle: -1},
		{name: "never", file: `idle_after = 0`, idle: 0},
		{name: "five by flag", args: []string{"--idle-after", "5"}, idle: 5},
		{name: "negative", file: `idle_after = -2`, wantErr: `key idle_after: "-2" is not auto or a number from 0 to 1000`},
		{name: "word", env: []string{"PAIRINGD_IDLE_AFTER=often"}, wantErr: `key idle_after: "often" is not auto`},
		{name: "input table", file: "[input]\nBTN_EAST = \"A\"\n305 = \"B\"\n", idle: -1,
			input: map[string]string{"BTN_EAST": "A", "305": "B"}},
		{name: "input env and flags", env: []string{"PAIRINGD_INPUT=BTN_EAST=A&BTN_SOUTH=B"}, args: []string{"--input", "KEY_F1=MENU"}, idle: -1,
			input: map[string]string{"BTN_EAST": "A", "BTN_SOUTH": "B", "KEY_F1": "MENU"}},
		{name: "input without key", args: []string{"--input", "BTN_EAST"}, wantErr: `key input: "BTN_EAST" is not code=key`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := ""
			if tt.file != "" {
				file = writeConfig(t, tt.file)
			}
			c, err := load(t, file, tt.env, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.IdleAfter != tt.idle || !maps.Equal(c.Input, tt.input) {
				t.Errorf("idle_after %d, input %v; want %d, %v", c.IdleAfter, c.Input, tt.idle, tt.input)
			}
		})
	}
}

// TestApp checks the app key, which the muOS launcher turns on with a bare
// --app: a boolean in the file, PAIRINGD_APP, and a flag that may stand
// alone; a bad value names where it came from.
func TestApp(t *testing.T) {
	noDefaultFile(t)
	for _, tt := range []struct {
		name       string
		file       string
		env        []string
		args       []string
		want       bool
		wantOrigin string
	}{
		{"off by default", "", nil, nil, false, "default"},
		{"file true", "app = true\n", nil, nil, true, "config {file}"},
		{"file string", "app = \"true\"\n", nil, nil, true, "config {file}"},
		{"env", "", []string{"PAIRINGD_APP=1"}, nil, true, "environment PAIRINGD_APP"},
		{"env false over file", "app = true\n", []string{"PAIRINGD_APP=false"}, nil, false, "environment PAIRINGD_APP"},
		{"bare flag", "", nil, []string{"--app"}, true, "flag --app"},
		{"bare flag before another", "", nil, []string{"--app", "--display", "fb"}, true, "flag --app"},
		{"flag false over env", "", []string{"PAIRINGD_APP=true"}, []string{"--app=false"}, false, "flag --app"},
		{"single dash", "", nil, []string{"-app"}, true, "flag --app"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			c, err := load(t, path, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("Load(%q, %q, %q): %v", tt.file, tt.env, tt.args, err)
			}
			if c.App != tt.want {
				t.Errorf("Load(%q, %q, %q): App = %v, want %v", tt.file, tt.env, tt.args, c.App, tt.want)
			}
			if got, want := c.Origin("app"), expand(tt.wantOrigin, path); got != want {
				t.Errorf("Load(%q, %q, %q): Origin(app) = %q, want %q", tt.file, tt.env, tt.args, got, want)
			}
		})
	}
	for _, tt := range []struct {
		name string
		file string
		env  []string
		args []string
		want string
	}{
		{"number in file", "app = 1\n", nil, nil, `config {file}: key app: want true or false, got a number`},
		{"word in file", "app = \"yes\"\n", nil, nil, `config {file}: key app: "yes" is not true or false`},
		{"word in env", "", []string{"PAIRINGD_APP=yes"}, nil, `environment PAIRINGD_APP: key app: "yes" is not true or false`},
		{"word in flag", "", nil, []string{"--app=on"}, `flag --app: key app: "on" is not true or false`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.file)
			_, err := load(t, path, tt.env, tt.args...)
			if want := expand(tt.want, path); err == nil || err.Error() != want {
				t.Errorf("Load(%q, %q, %q) = %v, want %s", tt.file, tt.env, tt.args, err, want)
			}
		})
	}
	fset := flag.NewFlagSet("pairingd", flag.ContinueOnError)
	Flags(fset)
	if f := fset.Lookup("app"); f == nil || f.Usage != "run as an app in the foreground: B/Esc/MENU quit" {
		t.Errorf("--app flag = %+v, want the usage that says B/Esc/MENU quit", f)
	}
}
