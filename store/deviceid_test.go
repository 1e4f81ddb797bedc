package store

import "testing"

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
