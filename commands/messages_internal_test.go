package commands

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCatalogueComplete reads this package's source and checks that every string
// the code shows a user (a UserError, a translated string, a command's usage and
// description) is in the catalogue in both languages: a reply can never come out
// half in English.
func TestCatalogueComplete(t *testing.T) {
	known := make(map[string]bool)
	for _, m := range messageTable {
		known[m.key] = true
	}
	for _, m := range pluralTable {
		known[m.key] = true
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	used := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		check := func(e ast.Expr) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			used++
			if !known[s] {
				t.Errorf("%s: %q is not in the catalogue", fset.Position(lit.Pos()), s)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var fn string
				switch f := n.Fun.(type) {
				case *ast.Ident:
					fn = f.Name
				case *ast.SelectorExpr:
					fn = f.Sel.Name
				}
				switch {
				case (fn == "Errorf" || fn == "S") && len(n.Args) > 0:
					check(n.Args[0])
				case fn == "Sprintf" && len(n.Args) > 1:
					check(n.Args[1])
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && (k.Name == "Usage" || k.Name == "Description") {
					check(n.Value)
				}
			}
			return true
		})
	}
	if used < 80 {
		t.Errorf("found only %d user-visible strings; is the scan broken?", used)
	}
}

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*[a-zA-Z%]`)

// verbs lists a format's verbs, %q and %s counted alike: French quotes the
// argument with « %s » where English uses %q.
func verbs(s string) []string {
	var out []string
	for _, v := range verb.FindAllString(s, -1) {
		if v == "%q" {
			v = "%s"
		}
		out = append(out, v)
	}
	return out
}

// sameWords are messages whose French is rightly the English: command syntax and
// words French borrows.
var sameWords = map[string]bool{
	"latest [n]": true, "takeaways <n|latest>": true, "chapters <n>": true, "links <n>": true,
	"random": true, "digest": true, "unsubscribe": true, "subscriptions": true, "status": true,
	"Podcast": true, "Version": true,
}

func TestCatalogueTranslations(t *testing.T) {
	seen := make(map[string]bool)
	for _, m := range messageTable {
		if seen[m.key] {
			t.Errorf("%q is in the table twice", m.key)
		}
		seen[m.key] = true
		if m.en == "" || m.fr == "" {
			t.Errorf("%q has an empty form", m.key)
		}
		if m.en != m.key {
			t.Errorf("%q: English %q differs from its key; the key is the English text", m.key, m.en)
		}
		if m.fr == m.en && !sameWords[m.key] {
			t.Errorf("%q is not translated", m.key)
		}
		if got, want := strings.Join(verbs(m.fr), " "), strings.Join(verbs(m.en), " "); got != want {
			t.Errorf("%q: French verbs %q, English %q", m.key, got, want)
		}
	}
	for _, m := range pluralTable {
		for _, form := range append(m.en[:], m.fr[:]...) {
			if got, want := strings.Join(verbs(form), " "), strings.Join(verbs(m.key), " "); got != want {
				t.Errorf("%q: form %q has verbs %q, want %q", m.key, form, got, want)
			}
		}
	}
}

// TestMessagesRender formats every message in both languages with dummy
// arguments: none may come out with a formatting error ("%!d(string=…)").
func TestMessagesRender(t *testing.T) {
	m := NewMessages()
	for _, msg := range messageTable {
		var args []any
		for _, v := range verbs(msg.key) {
			if strings.HasSuffix(v, "d") {
				args = append(args, 2)
			} else {
				args = append(args, "x")
			}
		}
		for _, lang := range []string{English, French} {
			if got := m.Sprintf(lang, msg.key, args...); strings.Contains(got, "%!") {
				t.Errorf("%s %q renders %q", lang, msg.key, got)
			}
		}
	}
}
