package feeds

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/mmcdole/gofeed"
)

func TestNotesDebugDump(t *testing.T) {
	path := os.Getenv("NOTES_DUMP")
	if path == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(path)
	f, err := gofeed.NewParser().ParseString(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range f.Items {
		n := it.Content
		if n == "" {
			n = it.Description
		}
		if os.Getenv("NOTES_DESC") != "" {
			n = it.Description
		}
		x := ExtractNotes(n)
		b, _ := json.MarshalIndent(x, "", "  ")
		fmt.Printf("=== %s\n%s\n", it.Title, b)
	}
}
