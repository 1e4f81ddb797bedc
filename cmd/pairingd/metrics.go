package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// metricWriter writes the Prometheus text exposition format (version
// 0.0.4): a HELP and TYPE line per metric, then its samples. The first
// write error sticks.
type metricWriter struct {
	w   io.Writer
	err error
}

func (m *metricWriter) help(name, typ, text string) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ)
	}
}

// sample writes one sample; labels is the text between the braces, "" for
// none.
func (m *metricWriter) sample(name, labels string, v float64) {
	if m.err != nil {
		return
	}
	if labels != "" {
		name += "{" + labels + "}"
	}
	// Whole numbers (counts, times in seconds) are written as such.
	f := byte('g')
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		f = 'f'
	}
	_, m.err = fmt.Fprintf(m.w, "%s %s\n", name, strconv.FormatFloat(v, f, -1, 64))
}

// labelValue escapes a label value: backslash, double quote and newline.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// sortedKeys returns m's keys in order, so the output is stable.
func sortedKeys(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
