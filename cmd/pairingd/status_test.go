package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pairingd/pairingd/pairing"
	"github.com/pairingd/pairingd/store"
	"github.com/pairingd/pairingd/store/sqlite"
)

// pairedState makes a state directory holding a paired record.
func pairedState(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if _, err := st.Update(ctx, func(p *store.Pairing) error {
		p.State = int(pairing.Paired)
		p.Server.Issuer = "https://auth.example.com"
		p.Tokens = store.Tokens{AccessToken: "at", RefreshToken: "rt", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		p.PairedAt = now
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// negativeYear matches a status line whose time has a negative year.
var negativeYear = regexp.MustCompile(`(?m):\s+-\d`)

// Bit rot that passes SQLite's integrity check can leave a time no
// calendar holds; status must still show the record.
func TestStatusOutOfRangeTimes(t *testing.T) {
	for _, ms := range []int64{-8e16, 9e18, -1} {
		t.Run(fmt.Sprint(ms), func(t *testing.T) {
			dir := pairedState(t)
			db, err := sql.Open("sqlite3", filepath.Join(dir, sqlite.FileName))
			if err != nil {
				t.Fatal(err)
			}
			q := fmt.Sprintf("UPDATE pairing SET token_expires_at = %d, token_issued_at = %d, paired_at = %d, state_since = %d", ms, ms, ms, ms)
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
			db.Close()

			var stdout, stderr strings.Builder
			code := cli(context.Background(), []string{"status", "--state-dir", dir, "--json"}, env{stdout: &stdout, stderr: &stderr})
			if code != exitOK {
				t.Fatalf("status --json: exit %d, want %d; stderr: %s", code, exitOK, stderr.String())
			}
			var s statusJSON
			if err := json.Unmarshal([]byte(stdout.String()), &s); err != nil {
				t.Fatalf("status --json output does not decode: %v\n%s", err, stdout.String())
			}
			for name, tp := range map[string]*time.Time{"token_expires_at": s.TokenExpiresAt, "paired_at": s.PairedAt, "state_since": s.StateSince} {
				if tp == nil || tp.Year() < 1970 || tp.Year() > 9999 {
					t.Errorf("%s = %v, want a time in 1970..9999", name, tp)
				}
			}

			stdout.Reset()
			stderr.Reset()
			if code := cli(context.Background(), []string{"status", "--state-dir", dir}, env{stdout: &stdout, stderr: &stderr}); code != exitOK {
				t.Fatalf("status: exit %d; stderr: %s", code, stderr.String())
			}
			if negativeYear.MatchString(stdout.String()) {
				t.Errorf("status shows a negative year:\n%s", stdout.String())
			}
		})
	}
}
