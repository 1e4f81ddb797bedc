package displaytest

import (
	"fmt"
	"testing"

	"github.com/pairingd/pairingd/display/qr"
)

// Every code the daemon may show decodes back to its payload: URLs like
// the development server's, for many ports and user codes, and one whose
// finder patterns made the searching decoder misjudge its size (it failed
// an end-to-end run).
func TestDecodeHalfBlocksPayloads(t *testing.T) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	payloads := []string{"http://127.0.0.1:36911/device?user_code=PWAA-F2FV"}
	for i := range 300 {
		code := make([]byte, 9)
		for j := range code {
			code[j] = alphabet[(i*7+j*13+i*j)%len(alphabet)]
		}
		code[4] = '-'
		payloads = append(payloads, fmt.Sprintf("http://127.0.0.1:%d/device?user_code=%s", 32768+i*97, code))
	}
	for _, p := range payloads {
		bm, err := qr.Bitmap(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeHalfBlocks(qr.HalfBlocks(bm, 4))
		if err != nil || got != p {
			t.Errorf("DecodeHalfBlocks(HalfBlocks(%q)) = %q, %v", p, got, err)
		}
	}
}
