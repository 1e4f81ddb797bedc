package msg

import (
	"slices"
	"strings"
	"testing"
)

// TestCatalogComplete checks every table: no message missing, and the
// printf verbs of each text those of English, in the same order, so that
// T's args land where English puts them.
func TestCatalogComplete(t *testing.T) {
	for _, c := range catalogs {
		for _, id := range IDs() {
			en, got := english[id], c.text[id]
			if got == "" {
				t.Errorf("%s: message %d (%q) is missing", c.lang, id, en)
				continue
			}
			if v, w := verbs(got), verbs(en); !slices.Equal(v, w) {
				t.Errorf("%s: %q has the verbs %q, English %q has %q", c.lang, got, v, en, w)
			}
			if strings.TrimSpace(got) != got {
				t.Errorf("%s: %q starts or ends with a space", c.lang, got)
			}
		}
	}
}

// verbs are the printf verbs of s with their flags ("%s", "%5d"), "%%"
// left out.
func verbs(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("+-# 0123456789.[]*", s[j]) >= 0 {
			j++
		}
		if j < len(s) && s[j] != '%' {
			out = append(out, s[i:j+1])
		}
		i = j
	}
	return out
}

func TestVerbs(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want []string
	}{
		{"Press %s to pair", []string{"%s"}},
		{"100%% done in %d s, %-5s", []string{"%d", "%-5s"}},
		{"%[2]s %[1]q", []string{"%[2]s", "%[1]q"}},
		{"none", nil},
	} {
		if got := verbs(tt.s); !slices.Equal(got, tt.want) {
			t.Errorf("verbs(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestT(t *testing.T) {
	// A language whose table has only one entry: the rest is English.
	sparse := &Catalog{lang: "xx", text: &table{HeadlinePaired: "Xx ✓"}}
	for _, tt := range []struct {
		name string
		c    *Catalog
		id   ID
		args []any
		want string
	}{
		{"english", English(), HeadlineAwaitingUser, nil, "Scan to pair this device"},
		{"nil is english", nil, ActionQuit, nil, "quit"},
		{"german", Lookup("de"), HeadlinePaired, nil, "Gekoppelt ✓"},
		{"args", Lookup("fr"), OpenAndEnter, []any{"example.com/device"}, "Ou ouvrez example.com/device et entrez le code."},
		{"args in english", nil, HeadlineIdle, []any{"A"}, "Press A or any key to pair"},
		{"no args keeps the verb", nil, UnpairConfirm, nil, "Press %s within 5 s to unpair"},
		{"own entry", sparse, HeadlinePaired, nil, "Xx ✓"},
		{"missing entry is english", sparse, ActionUnpair, nil, "unpair"},
		{"missing entry with args", sparse, UnpairConfirm, []any{"X"}, "Press X within 5 s to unpair"},
		{"id below", English(), -1, nil, ""},
		{"id above", English(), count, nil, ""},
	} {
		if got := tt.c.T(tt.id, tt.args...); got != tt.want {
			t.Errorf("%s: T(%d, %v) = %q, want %q", tt.name, tt.id, tt.args, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"en", "en", true},
		{"de", "de", true},
		{"fr", "fr", true},
		{"es", "es", true},
		{"pt", "pt", true},
		{"it", "it", true},
		{"de_DE.UTF-8", "de", true},
		{"de_AT", "de", true},
		{"pt_BR", "pt", true},
		{"pt-BR", "pt", true},
		{"fr_CA.UTF-8@euro", "fr", true},
		{"it_IT@euro", "it", true},
		{"ES", "es", true},
		{"en_GB.UTF-8", "en", true},
		{"C", "en", true},
		{"C.UTF-8", "en", true},
		{"POSIX", "en", true},
		{"ja_JP.UTF-8", "en", false},
		{"deutsch", "en", false},
		{"", "en", false},
		{"_DE", "en", false},
	} {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"de", "de"},
		{"pt_BR.UTF-8", "pt"},
		{"C", "en"},
		{"ja", "en"},
		{"", "en"},
	} {
		if got := Lookup(tt.in).Lang(); got != tt.want {
			t.Errorf("Lookup(%q).Lang() = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := (*Catalog)(nil).Lang(); got != "en" {
		t.Errorf("nil catalogue's Lang() = %q, want en", got)
	}
	if got, want := Tags(), []string{"en", "de", "fr", "es", "pt", "it"}; !slices.Equal(got, want) {
		t.Errorf("Tags() = %q, want %q", got, want)
	}
}

// TestChoose checks the order: the config's setting, then LC_ALL,
// LC_MESSAGES and LANG, then English.
func TestChoose(t *testing.T) {
	for _, tt := range []struct {
		name    string
		setting string
		environ []string
		want    string
	}{
		{"nothing", "", nil, "en"},
		{"setting", "fr", []string{"LC_ALL=de_DE.UTF-8"}, "fr"},
		{"setting as a locale", "pt_BR", nil, "pt"},
		{"unknown setting", "ja", []string{"LANG=de_DE.UTF-8"}, "en"},
		{"LANG", "", []string{"LANG=es_ES.UTF-8"}, "es"},
		{"LC_MESSAGES over LANG", "", []string{"LANG=es_ES.UTF-8", "LC_MESSAGES=it_IT.UTF-8"}, "it"},
		{"LC_ALL over all", "", []string{"LANG=es_ES", "LC_MESSAGES=it_IT", "LC_ALL=de_DE"}, "de"},
		{"empty LC_ALL skipped", "", []string{"LC_ALL=", "LANG=fr_FR.UTF-8"}, "fr"},
		{"C locale", "", []string{"LC_ALL=C", "LANG=de_DE.UTF-8"}, "en"},
		{"unknown locale decides", "", []string{"LC_ALL=ja_JP.UTF-8", "LANG=de_DE.UTF-8"}, "en"},
		{"first entry wins", "", []string{"LANG=de_DE", "LANG=fr_FR"}, "de"},
		{"other variables", "", []string{"LC_CTYPE=de_DE.UTF-8", "LANGUAGE=fr", "NOEQUALS"}, "en"},
	} {
		if got := Choose(tt.setting, tt.environ); got != tt.want {
			t.Errorf("%s: Choose(%q, %q) = %q, want %q", tt.name, tt.setting, tt.environ, got, tt.want)
		}
	}
}
