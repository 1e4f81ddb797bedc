package display_test

import (
	"testing"

	"github.com/pairingd/pairingd/display"
)

func TestGroupCode(t *testing.T) {
	for _, tt := range []struct{ code, want string }{
		{"WDJB-MJHT", "WDJB-MJHT"},
		{"WDJBMJHT", "WDJB MJHT"},
		{"WDJBMJHTX", "WDJB MJHT X"},
		{"ABCDEFGHIJKL", "ABCD EFGH IJKL"},
		{"ABC DEFGH", "ABC DEFGH"},
		{"1234567", "1234567"},
		{"ÄÖÜßÄÖÜß", "ÄÖÜß ÄÖÜß"},
		{"", ""},
	} {
		if got := display.GroupCode(tt.code); got != tt.want {
			t.Errorf("GroupCode(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
