package shownotes

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// outline writes a document one line per block, for tests to compare:
// "h2 Title", "item d1 l3 ordered Text", "row t1 [a|b]", "pre Text", "p Text",
// with the block's links as " {url=text}".
func outline(d Document) []string {
	var out []string
	for _, b := range d.Blocks {
		var s string
		switch b.Kind {
		case Heading:
			s = fmt.Sprintf("h%d", b.Level)
			if b.RunIn {
				s += " runin"
			}
		case Item:
			s = fmt.Sprintf("item d%d l%d", b.Depth, b.List)
			if b.Ordered {
				s += " ordered"
			}
		case Row:
			s = fmt.Sprintf("row t%d [%s]", b.Table, strings.Join(b.Cells, "|"))
		case Pre:
			s = "pre"
		default:
			s = "p"
		}
		s += " " + strings.ReplaceAll(b.Text, "\n", "⏎")
		for _, a := range b.Links {
			s += fmt.Sprintf(" {%s=%s", a.URL, b.AnchorText(a))
			if a.Alt != "" {
				s += " alt:" + a.Alt
			}
			s += "}"
		}
		out = append(out, s)
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, notes string
		want        []string
		html        bool
	}{
		{
			name:  "html headings keep their level, a bold line is a heading without one",
			notes: `<h2>About</h2><p>Text <b>bold</b> here.</p><p><strong>Links</strong></p><h4>Deep</h4>`,
			html:  true,
			want:  []string{"h2 About", "p Text bold here.", "h0 Links", "h4 Deep"},
		},
		{
			name:  "html nested lists",
			notes: `<ul><li>One<ul><li>One.a</li><li>One.b</li></ul></li><li>Two</li></ul><ol><li>First</li></ol>`,
			html:  true,
			want: []string{
				"item d0 l1 One", "item d1 l2 One.a", "item d1 l2 One.b", "item d0 l1 Two",
				"item d0 l3 ordered First",
			},
		},
		{
			name:  "html table rows and cells",
			notes: `<table><tr><th>Time</th><th>Topic</th></tr><tr><td>00:00</td><td><p>Intro</p></td></tr></table><p>After</p>`,
			html:  true,
			want:  []string{"row t1 [Time|Topic] Time Topic", "row t1 [00:00|Intro] 00:00 Intro", "p After"},
		},
		{
			name:  "html pre keeps its lines",
			notes: "<pre>00:00 Intro\n05:30  The   outage\n</pre><p>x</p>",
			html:  true,
			want:  []string{"pre 00:00 Intro⏎05:30 The outage", "p x"},
		},
		{
			name:  "html links, image link takes its alt",
			notes: `<p>See <a href="https://a.example/x">the doc</a> and <a href="https://b.example/"><img src="i.png" alt="Our site"></a>.</p>`,
			html:  true,
			want:  []string{"p See the doc and . {https://a.example/x=the doc} {https://b.example/= alt:Our site}"},
		},
		{
			name:  "html entities decoded, scripts dropped",
			notes: `<p>R&amp;D &lt;3<script>alert(1)</script></p>`,
			html:  true,
			want:  []string{"p R&D <3"},
		},
		{
			name:  "double-escaped html is read as html",
			notes: `&lt;p&gt;Hello &amp;amp; welcome&lt;/p&gt;&lt;ul&gt;&lt;li&gt;One&lt;/li&gt;&lt;/ul&gt;`,
			html:  true,
			want:  []string{"p Hello & welcome", "item d0 l1 One"},
		},
		{
			name:  "markdown headings, bold line, setext",
			notes: "# Title\n\nIntro text.\n\n### Key takeaways\n- a\n\n**Links**\n\nChapters\n--------\n00:00 Intro",
			want: []string{
				"h1 Title", "p Intro text.", "h3 Key takeaways", "item d0 l1 a", "h0 Links",
				"h2 Chapters", "p 00:00 Intro",
			},
		},
		{
			name:  "markdown nested bullets by indentation, continuation lines",
			notes: "- One\n  - One.a\n    more of One.a\n  - One.b\n- Two\n1. First\n2) Second",
			want: []string{
				"item d0 l1 One", "item d1 l2 One.a more of One.a", "item d1 l2 One.b", "item d0 l1 Two",
				"item d0 l1 ordered First", "item d0 l1 ordered Second",
			},
		},
		{
			name:  "markdown table, rule row skipped",
			notes: "| Time | Topic |\n|---|:---:|\n| 00:00 | Intro |\n| 05:00 | [Deep dive](https://x.example/d) |",
			want: []string{
				"row t1 [Time|Topic] Time Topic", "row t1 [00:00|Intro] 00:00 Intro",
				"row t1 [05:00|Deep dive] 05:00 Deep dive {https://x.example/d=Deep dive}",
			},
		},
		{
			name:  "markdown code fence is pre",
			notes: "Intro\n```\n00:00 Start\n  10:00 End\n```\nAfter",
			want:  []string{"p Intro", "pre 00:00 Start⏎10:00 End", "p After"},
		},
		{
			name:  "markdown links, image links and emphasis",
			notes: "Read [the **post**](https://x.example/p \"Title\") and [![Logo](https://x.example/l.png)](https://x.example/) ![pic](https://x.example/p.png)",
			want:  []string{"p Read the post and pic {https://x.example/p=the post} {https://x.example/= alt:Logo}"},
		},
		{
			name:  "entities in plain text",
			notes: "Mark &amp;amp; John &amp; Ben&#039;s show",
			want:  []string{"p Mark &amp; John & Ben's show"},
		},
		{
			name:  "flattened text: run-in headings cut out",
			notes: "Une intro. Points clés ; Avoir des tests. Tester les sauvegardes.Références Le livre https://x.example/b",
			want: []string{
				"p Une intro.", "h0 runin Points clés", "p Avoir des tests. Tester les sauvegardes.",
				"h0 runin Références", "p Le livre https://x.example/b",
			},
		},
		{
			name:  "plain label line is a heading",
			notes: "Intro.\nKey takeaways:\n• One\n• Two",
			want:  []string{"p Intro.", "h0 Key takeaways:", "item d0 l1 One", "item d0 l1 Two"},
		},
		{name: "empty", notes: " \n\t ", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Parse(tt.notes)
			if d.HTML != tt.html {
				t.Errorf("HTML = %v, want %v", d.HTML, tt.html)
			}
			if diff := cmp.Diff(tt.want, outline(d)); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.notes, diff)
			}
			checkDocument(t, d)
		})
	}
}

func TestParseSections(t *testing.T) {
	d := Parse("<p>Intro</p><h3>Links:</h3><ul><li>a</li></ul>")
	var got []string
	for _, b := range d.Blocks {
		got = append(got, b.Section)
	}
	if diff := cmp.Diff([]string{"", "Links", "Links"}, got); diff != "" {
		t.Errorf("sections (-want +got):\n%s", diff)
	}
}

// checkDocument asserts what holds for any document.
func checkDocument(t *testing.T, d Document) {
	t.Helper()
	if len(d.Blocks) > maxBlocks+1 {
		t.Errorf("%d blocks", len(d.Blocks))
	}
	for i, b := range d.Blocks {
		if b.Kind > Row {
			t.Errorf("block %d: kind %d", i, b.Kind)
		}
		if !utf8.ValidString(b.Text) || !utf8.ValidString(b.Section) {
			t.Errorf("block %d: invalid UTF-8", i)
		}
		if b.Depth < 0 || b.Level < 0 || b.Level > 6 || len(b.Cells) > maxCells {
			t.Errorf("block %d: depth %d level %d cells %d", i, b.Depth, b.Level, len(b.Cells))
		}
		for _, a := range b.Links {
			if a.Start < 0 || a.Start > a.End || a.End > len(b.Text) {
				t.Errorf("block %d: anchor %+v outside %d bytes", i, a, len(b.Text))
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "<p>", "<<<", "</a></a><a href=", "<ul><li>a<ul><li>b", "<table><td>x<tr><td>y</table></td>",
		"<pre>a\n\nb", "<a href=x><img alt=y></a>", "# h\n- a\n  - b\n| a | b |\n```\nx",
		"[a](b)", "[[[](", "[![a](b)](c)", "](", "**a**", "***", "&lt;p&gt;x", "\xff\xfe<p>\x00</p>",
		strings.Repeat("[", 500) + "](x)", strings.Repeat("<ul><li>", 100), strings.Repeat("  - a\n", 50),
		"Points clés ; A. Références B", "| |\n|-|", "===\n---",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDocument(t, Parse(s))
	})
}

// TestParseLargeHostile runs 1 MiB inputs built against the parser's loops:
// they must finish quickly and give a well-formed document.
func TestParseLargeHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const mb = 1 << 20
	inputs := map[string]string{
		"brackets":   strings.Repeat("[", mb),
		"md links":   strings.Repeat("[a](b", mb/5),
		"close open": strings.Repeat("](", mb/2),
		"indents":    strings.Repeat("  - a\n    - b\n", mb/14),
		"table":      strings.Repeat("|", mb),
		"rows":       strings.Repeat("<tr><td>", mb/8),
		"pre":        "<pre>" + strings.Repeat("a\n", mb/2),
		"fences":     strings.Repeat("```\n", mb/4),
		"entities":   strings.Repeat("&amp;lt;", mb/8),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			checkDocument(t, Parse(in))
		})
	}
}
