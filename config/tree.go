package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML is read twice: once as a node tree, to learn what yaml.v3's decoding
// hides (which key a type error is about, a float truncated into an int, aliases
// that expand without bound), then decoded into the Config with unknown keys
// refused. Both passes are linear in the size of the input.

// Limits on alias expansion. yaml.v3 v3.0.1 refuses only documents that are more
// than 99% aliases, which still lets a 1 MiB file expand a hundredfold; a
// configuration has no use for more than a few copies of an anchor.
const (
	aliasSlack  = 100_000 // nodes any document may expand to
	aliasFactor = 10      // and this many times its written nodes
)

// maxMappingKeys bounds the keys of one mapping. yaml.v3 v3.0.1 looks for
// duplicate keys by comparing every pair, so one mapping of 100,000 keys would take
// minutes; the largest mapping of a configuration has about a dozen.
const maxMappingKeys = 100

// parseDocument parses data into a node tree; nil means no document (empty input).
// Syntax errors, a second document and alias bombs are fatal: nothing can be
// decoded reliably after them.
func parseDocument(data []byte) (doc *yaml.Node, err error) {
	// yaml.v3 has panicked on hostile input before; a bad file must be an error,
	// never a crash.
	defer recoverYAML(&err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(err)
		}
		return nil, &Error{Problems: []Problem{{Line: extra.Line, Message: "a second YAML document (---) follows; keep the whole configuration in one document"}}}
	}
	if p := checkMappings(&n); p != nil {
		return nil, &Error{Problems: []Problem{*p}}
	}
	if p := checkAliases(&n); p != nil {
		return nil, &Error{Problems: []Problem{*p}}
	}
	return &n, nil
}

// checkMappings refuses a mapping with more than maxMappingKeys keys.
func checkMappings(n *yaml.Node) *Problem {
	if n.Kind == yaml.MappingNode && len(n.Content)/2 > maxMappingKeys {
		return &Problem{Line: n.Line, Message: fmt.Sprintf("a mapping of more than %d keys; this is not a pmbot configuration", maxMappingKeys)}
	}
	for _, c := range n.Content {
		if p := checkMappings(c); p != nil {
			return p
		}
	}
	return nil
}

// decodeStrict decodes data into c, refusing unknown keys. Type errors do not
// stop it: yaml.v3 fills what it can, and they are returned as problems, with
// their key where t can tell, so they are reported with every other problem.
func decodeStrict(data []byte, c *Config, t *tree) (problems []Problem, err error) {
	defer recoverYAML(&err)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(c)
	if err == nil || errors.Is(err, io.EOF) {
		return nil, nil
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return nil, yamlError(err)
	}
	said := keysOf(t.problems)
	for _, p := range typeProblems(te) {
		if p.Key == "" {
			p.Key = t.keyFor(p.Line, p.raw)
		}
		// The tree already said it in better words ("1e30 is too large").
		if !said.covers(p.Key) {
			problems = append(problems, p.Problem)
		}
	}
	return problems, nil
}

func recoverYAML(err *error) {
	if p := recover(); p != nil {
		*err = &Error{Problems: []Problem{{Message: fmt.Sprintf("could not parse the YAML (%v)", p)}}}
	}
}

// checkAliases refuses an alias that contains itself and aliases that expand the
// document far beyond what is written (a "billion laughs"): either would make
// decoding loop or take time and memory out of proportion to the file.
func checkAliases(doc *yaml.Node) *Problem {
	written := countWritten(doc)
	limit := aliasSlack + aliasFactor*written
	sizes := make(map[*yaml.Node]int)
	const inProgress = -1
	var size func(n *yaml.Node) (int, *yaml.Node)
	// size is the node count of n with aliases expanded, capped just above limit;
	// the second result is an alias that contains itself.
	size = func(n *yaml.Node) (int, *yaml.Node) {
		if s, ok := sizes[n]; ok {
			if s == inProgress {
				return 0, n
			}
			return s, nil
		}
		sizes[n] = inProgress
		total := 1
		children := n.Content
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			children = []*yaml.Node{n.Alias}
		}
		for _, c := range children {
			s, loop := size(c)
			if loop != nil {
				return 0, loop
			}
			total = min(total+s, limit+1)
		}
		sizes[n] = total
		return total, nil
	}
	total, loop := size(doc)
	if loop != nil {
		return &Problem{Line: loop.Line, Message: fmt.Sprintf("the anchor &%s contains an alias to itself; remove the alias", anchorName(loop))}
	}
	if total > limit {
		return &Problem{Message: "the YAML's aliases (*name) expand to far more than is written; write the values out instead"}
	}
	return nil
}

func anchorName(n *yaml.Node) string {
	if n.Anchor != "" {
		return n.Anchor
	}
	return n.Value
}

// countWritten is the number of nodes as written, aliases not followed.
func countWritten(n *yaml.Node) int {
	total := 1
	for _, c := range n.Content {
		total += countWritten(c)
	}
	return total
}

// tree is what the node tree says about the keys of a configuration.
type tree struct {
	// lines is the line of each key's value ("feeds[0].url" -> 7).
	lines map[string]int
	// targets lists, per line, the values that yaml.v3 may fail to decode there,
	// so a type error (which yaml.v3 reports by line only) can name its key.
	targets map[int][]target
	// problems are numbers given to whole-number settings that are not whole.
	problems []Problem
}

// target is one value and the Go type it decodes into.
type target struct {
	key    string
	goType string // as yaml.v3 names it in "cannot unmarshal … into T"
	custom bool   // decoded by an UnmarshalYAML method, which words its own errors
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// newTree walks doc along the Config type.
func newTree(doc *yaml.Node) *tree {
	t := &tree{lines: make(map[string]int), targets: make(map[int][]target)}
	t.walk(doc, reflect.TypeFor[Config](), "")
	return t
}

// walk visits n, which decodes into typ at key. Aliases are followed: checkAliases
// has bounded their expansion and refused cycles.
func (t *tree) walk(n *yaml.Node, typ reflect.Type, key string) {
	n = resolveAlias(n)
	if n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) > 0 {
			t.walk(n.Content[0], typ, key)
		}
		return
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if n.ShortTag() == "!!null" {
		return // decodes to the zero value, never an error
	}
	if _, seen := t.lines[key]; key != "" && !seen {
		t.lines[key] = n.Line
	}
	switch {
	case reflect.PointerTo(typ).Implements(unmarshalerType):
		t.mark(n, key, typ, true)
	case typ.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			t.mark(n, key, typ, false)
			return
		}
		t.mapping(n, typ, key)
	case typ.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			t.mark(n, key, typ, false)
			return
		}
		for i, item := range n.Content {
			t.walk(item, typ.Elem(), fmt.Sprintf("%s[%d]", key, i))
		}
	default:
		t.mark(n, key, typ, false)
		if isInt(typ) && n.Kind == yaml.ScalarNode {
			t.wholeNumber(n, key)
		}
	}
}

// mapping visits the keys of a mapping that decodes into the struct typ, merge
// keys (<<: *defaults) included.
func (t *tree) mapping(n *yaml.Node, typ reflect.Type, key string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			t.merge(v, typ, key)
			continue
		}
		f, ok := fieldByKey(typ, k.Value)
		if !ok {
			continue // an unknown key: the strict decoding reports it
		}
		t.walk(v, f.Type, joinKey(key, k.Value))
	}
}

// merge visits what a merge key brings in: a mapping, or a list of mappings.
func (t *tree) merge(v *yaml.Node, typ reflect.Type, key string) {
	v = resolveAlias(v)
	if v == nil {
		return
	}
	switch v.Kind {
	case yaml.MappingNode:
		t.mapping(v, typ, key)
	case yaml.SequenceNode:
		for _, item := range v.Content {
			if item = resolveAlias(item); item != nil && item.Kind == yaml.MappingNode {
				t.mapping(item, typ, key)
			}
		}
	}
}

func (t *tree) mark(n *yaml.Node, key string, typ reflect.Type, custom bool) {
	t.targets[n.Line] = append(t.targets[n.Line], target{key: key, goType: typ.String(), custom: custom})
}

// wholeNumber reports a number that is not whole where one is expected: yaml.v3
// v3.0.1 truncates a float into an int field without a word ("flood_limit: 1.5"
// becomes 1). Every whole-number setting is a count from 0 to maxCount, so a
// number too big for an int is worded as too large.
func (t *tree) wholeNumber(n *yaml.Node, key string) {
	if tag := n.ShortTag(); tag != "!!float" && tag != "!!int" {
		return // text: the decoding reports a type error
	}
	var f float64
	if err := n.Decode(&f); err != nil {
		return
	}
	shown := n.Value
	if len(shown) > 24 {
		shown = "this number"
	}
	var msg string
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f):
		msg = fmt.Sprintf("%s is not a whole number", shown)
	case f >= math.MaxInt64:
		msg = fmt.Sprintf("%s is too large; use at most %d", shown, maxCount)
	case f <= math.MinInt64:
		msg = fmt.Sprintf("%s is negative; use 0 or more", shown)
	default:
		return // yaml.v3 decodes it exactly; Validate checks the range
	}
	t.problems = append(t.problems, Problem{Line: n.Line, Key: key, Message: msg})
}

// keyFor is the key of the value a type error on line is about, or "" when the
// line holds several candidates that the message cannot tell apart.
func (t *tree) keyFor(line int, msg string) string {
	if unknownKeyRe.MatchString(msg) || strings.HasPrefix(msg, "mapping key ") {
		return "" // about a key, not a value; the message names it
	}
	goType := ""
	if m := cannotRe.FindStringSubmatch(msg); m != nil {
		goType = m[2]
	}
	found := ""
	for _, c := range t.targets[line] {
		match := c.goType == goType
		if goType == "" {
			match = c.custom // only UnmarshalYAML methods word their own errors
		}
		if !match || c.key == found {
			continue
		}
		if found != "" {
			return "" // ambiguous
		}
		found = c.key
	}
	return found
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// fieldByKey finds the field of struct typ whose yaml tag is key.
func fieldByKey(typ reflect.Type, key string) (reflect.StructField, bool) {
	for f := range typ.Fields() {
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == key && tag != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func isInt(typ reflect.Type) bool {
	switch typ.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}
