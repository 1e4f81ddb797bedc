package oauth

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func TestNewProfile(t *testing.T) {
	for _, tt := range []struct {
		name, base string
		want       Profile
	}{
		{"", "https://as.example", RFC8628{}},
		{"rfc8628", "https://as.example/", RFC8628{}},
		{"authelia", "https://auth.example", Authelia{}},
		{"romm", "https://romm.example/", RomM{Base: "https://romm.example"}},
		{"dfc", "https://dfc.example/", DFC{Base: "https://dfc.example"}},
	} {
		got, err := NewProfile(tt.name, tt.base)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NewProfile(%q, %q) = %#v, %v, want %#v", tt.name, tt.base, got, err, tt.want)
			continue
		}
		if tt.name != "" && got.Name() != tt.name {
			t.Errorf("NewProfile(%q).Name() = %q", tt.name, got.Name())
		}
	}
	_, err := NewProfile("keycloak", "https://x.example")
	if err == nil || !strings.Contains(err.Error(), "rfc8628, authelia, romm, dfc") {
		t.Errorf("unknown profile: err = %v, want one listing the profiles", err)
	}
}

// Which optional interfaces each profile has: the loop's behaviour hangs on
// them.
func TestProfileInterfaces(t *testing.T) {
	has := func(p Profile) string {
		var s []string
		if _, ok := p.(FixedEndpoints); ok {
			s = append(s, "endpoints")
		}
		if _, ok := p.(Preflighter); ok {
			s = append(s, "preflight")
		}
		if _, ok := p.(Checker); ok {
			s = append(s, "check")
		}
		if _, ok := p.(Pacer); ok {
			s = append(s, "pacer")
		}
		if _, ok := p.(RefreshLeader); ok {
			s = append(s, "lead")
		}
		if _, ok := p.(Reporter); ok {
			s = append(s, "report")
		}
		return strings.Join(s, ",")
	}
	for _, tt := range []struct {
		p    Profile
		want string
	}{
		{RFC8628{}, ""},
		{Authelia{}, "pacer,lead"},
		{RomM{}, "endpoints,preflight,check"},
		{DFC{}, "endpoints,report"},
	} {
		if got := has(tt.p); got != tt.want {
			t.Errorf("%s has %q, want %q", tt.p.Name(), got, tt.want)
		}
	}
}

// What each profile asks of the config, and the scope it asks for when
// the config sets none.
func TestProfileSpecs(t *testing.T) {
	for _, tt := range []struct {
		name          string
		fixed, client bool
		scope         string
	}{
		{"rfc8628", false, true, ""},
		{"authelia", false, true, "openid offline_access"},
		{"romm", true, false, "me.read platforms.read roms.read devices.read devices.write"},
		{"dfc", true, false, ""},
	} {
		s, err := LookupProfile(tt.name)
		if err != nil {
			t.Fatalf("LookupProfile(%q): %v", tt.name, err)
		}
		if s.FixedEndpoints() != tt.fixed || s.NeedsClientID != tt.client || s.DefaultScope != tt.scope {
			t.Errorf("%s: fixed endpoints %v, needs client_id %v, default scope %q; want %v, %v, %q",
				tt.name, s.FixedEndpoints(), s.NeedsClientID, s.DefaultScope, tt.fixed, tt.client, tt.scope)
		}
		if got := s.New("https://as.example").Name(); got != s.Name {
			t.Errorf("%s: its profile's Name() = %q", s.Name, got)
		}
	}
	if got, want := strings.Join(ProfileNames(), ","), "rfc8628,authelia,romm,dfc"; got != want {
		t.Errorf("ProfileNames() = %s, want %s (the default first)", got, want)
	}
	if s, err := LookupProfile(""); err != nil || s.Name != DefaultProfile || DefaultProfile != "rfc8628" {
		t.Errorf(`LookupProfile("") = %q, %v; DefaultProfile %q; want rfc8628`, s.Name, err, DefaultProfile)
	}
}

// No code outside the profiles and the registry names a profile: a fifth
// one is its own file and a registry entry, and nothing else switches on
// names. The development server plays the profiles and may name them;
// tests and documentation may too.
func TestProfileNamesOnlyInProfiles(t *testing.T) {
	root := filepath.Join("..", "..")
	names := map[string]bool{}
	for _, n := range ProfileNames() {
		names[n] = true
	}
	skip := map[string]bool{"pairing/oauth": true, "internal/devauth": true, "cmd/devauthserver": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skip[rel] || d.Name() == "testdata" || d.Name() == "vendor" || (strings.HasPrefix(d.Name(), ".") && rel != ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go"):
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
						t.Errorf("%s names profile %q; profile facts belong in its Spec", rel, s)
					}
				}
				return true
			})
		case strings.HasSuffix(rel, ".sh") || d.Name() == "Makefile" || strings.HasSuffix(rel, ".mk"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "#") {
					continue
				}
				for _, w := range strings.FieldsFunc(line, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
					if names[w] {
						t.Errorf("%s:%d names profile %q", rel, i+1, w)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
