package feeds

import (
	"strconv"
	"testing"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in     string
		want   int
		wantOK bool
	}{
		// Plain seconds (mike-neumann, giant bombcast, Post Mortem).
		{"3780", 3780, true},
		{"0", 0, true},
		{"114", 114, true},
		// Fractional seconds (podverse): nearest second.
		{"1014.708375", 1015, true},
		{"1014.2", 1014, true},
		// A single colon is always MM:SS (launched-fireside's "1:04" is a 1.5 MB file).
		{"63:00", 3780, true},
		{"1:04", 64, true},
		{"07:00", 420, true},
		{"45:10.500", 2711, true},
		{"45:10.4", 2710, true},
		// H:MM:SS.
		{"1:03:00", 3780, true},
		{"00:45:10", 2710, true},
		{"1:05:20", 3920, true},
		{"10:00:00", 36000, true},
		// Spaces around the value, including a non-breaking space.
		{"  3780\n", 3780, true},
		{"\u00a01:04\u00a0", 64, true},
		// Refused: empty, negative, garbage, too many parts, bad parts.
		{"", 0, false},
		{"   ", 0, false},
		{"-5", 0, false},
		{"-1:00", 0, false},
		{"abc", 0, false},
		{"1h30m", 0, false},
		{"30 min", 0, false},
		{"1:2:3:4", 0, false},
		{"1::00", 0, false},
		{":30", 0, false},
		{"30:", 0, false},
		{"1:75", 0, false},
		{"1:60:00", 0, false},
		{"1.5:00", 0, false},
		{"1014.", 0, false},
		{".5", 0, false},
		{"1e3", 0, false},
		{"+30", 0, false},
		{"1: 04", 0, false},
		{"99999999999999999999", 0, false},
		{"9999999:00:00", 0, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			got, ok := ParseDuration(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseDuration(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"3780", "63:00", "1:03:00", "1014.708375", "1:04", "00:45:10", "45:10.500", "", "-5", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseDuration(s)
		if !ok && got != 0 {
			t.Errorf("ParseDuration(%q) = %d, false; want 0 when not ok", s, got)
		}
		if got < 0 || got > maxDurationSeconds+1 {
			t.Errorf("ParseDuration(%q) = %d out of range", s, got)
		}
	})
}
