package feeds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pmbot/pmbot/shownotes"
)

// maxChaptersJSON bounds the size of a JSON chapters document we accept.
const maxChaptersJSON = 8 << 20

// ParseChaptersJSON parses a Podcasting 2.0 JSON chapters document
// (podcast:chapters, type application/json+chapters): each chapter's startTime
// (seconds, possibly fractional, rounded down) and title, sorted by time.
// Chapters marked "toc": false are left out and unknown keys are ignored.
// Errors are prefixed "feeds: chapters json: ".
func ParseChaptersJSON(data []byte) ([]Chapter, error) {
	if len(data) > maxChaptersJSON {
		return nil, fmt.Errorf("feeds: chapters json: document too large (%d bytes)", len(data))
	}
	var doc struct {
		Chapters *[]struct {
			StartTime json.RawMessage `json:"startTime"`
			Title     json.RawMessage `json:"title"`
			TOC       *bool           `json:"toc"`
		} `json:"chapters"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("feeds: chapters json: %w", err)
	}
	if doc.Chapters == nil {
		return nil, errors.New("feeds: chapters json: no \"chapters\" array")
	}
	out := make([]Chapter, 0, len(*doc.Chapters))
	for _, c := range *doc.Chapters {
		if c.TOC != nil && !*c.TOC {
			continue
		}
		secs, ok := jsonSeconds(c.StartTime)
		if !ok {
			continue
		}
		out = append(out, Chapter{StartSeconds: secs, Title: jsonTitle(c.Title)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartSeconds < out[j].StartSeconds })
	return out, nil
}

// jsonSeconds reads startTime as a number (or a numeric string, as some
// publishers write it), rounded down; negative, missing or absurd values fail.
func jsonSeconds(raw json.RawMessage) (int, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var f float64
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, false
		}
		f = v
	} else if json.Unmarshal(raw, &f) != nil {
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e8 {
		return 0, false
	}
	return int(math.Floor(f)), true
}

// jsonTitle reads a title string; other types give "".
func jsonTitle(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return shownotes.CollapseSpaces(s)
}
