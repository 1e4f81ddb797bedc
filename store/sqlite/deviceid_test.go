package sqlite

import (
	"log/slog"
	"path/filepath"
	"testing"
)

func TestIsDeviceID(t *testing.T) {
	id, err := newDeviceID()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{id, true},
		{"0123abcd-4567-89ef-0123-456789abcdef", true},
		{"0123ABCD-4567-89ef-0123-456789abcdef", false},
		{"0123abcd-4567-89ef-0123-456789abcde", false},
		{"0123abcd-4567-89ef-0123-456789abcdefa", false},
		{"0123abcd+4567-89ef-0123-456789abcdef", false},
		{"0123abcd-4567-89eg-0123-456789abcdef", false},
		{"", false},
	} {
		if got := isDeviceID(tt.s); got != tt.want {
			t.Errorf("isDeviceID(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// Two processes that create the database file at once both go on: the one
// that loses the race to create it checks the winner's file instead of
// failing.
func TestPrepareFileCreateRace(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for round := 0; round < 200; round++ {
		path := filepath.Join(t.TempDir(), FileName)
		errs := make(chan error, 4)
		for range 4 {
			go func() { errs <- prepareFile(path, true, true, log) }()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: prepareFile beside another creator: %v", round, err)
			}
		}
	}
}
