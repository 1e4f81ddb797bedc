package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// The daemon runs on one processor with a tighter collector unless its
// environment says otherwise: a device builder who sets GOMAXPROCS or GOGC
// in the unit gets what they set.
func TestAtRest(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	gc := debug.SetGCPercent(100)
	t.Cleanup(func() {
		runtime.GOMAXPROCS(procs)
		debug.SetGCPercent(gc)
	})
	tests := []struct {
		name      string
		env       map[string]string
		wantProcs int // 0: left as it was
		wantGC    int // 0: left as it was
	}{
		{"nothing set", nil, 1, gcPercent},
		{"GOMAXPROCS set", map[string]string{"GOMAXPROCS": "3"}, 0, gcPercent},
		{"GOGC set", map[string]string{"GOGC": "200"}, 1, 0},
		{"both set", map[string]string{"GOMAXPROCS": "3", "GOGC": "200"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtime.GOMAXPROCS(7)
			debug.SetGCPercent(77)
			atRest(func(k string) string { return tt.env[k] })
			wantProcs, wantGC := tt.wantProcs, tt.wantGC
			if wantProcs == 0 {
				wantProcs = 7
			}
			if wantGC == 0 {
				wantGC = 77
			}
			if got := runtime.GOMAXPROCS(0); got != wantProcs {
				t.Errorf("GOMAXPROCS = %d, want %d", got, wantProcs)
			}
			if got := debug.SetGCPercent(77); got != wantGC {
				t.Errorf("GC percent = %d, want %d", got, wantGC)
			}
		})
	}
}
