package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem in a configuration: where it is and what is wrong.
// Load and Parse return every Error they find, joined with errors.Join in
// the order they appear in the file.
type Error struct {
	// File is the path given to Load; empty for Parse.
	File string
	// Line and Column locate the offending key or value, 1-based; zero
	// when the problem has no single place (a required key is missing
	// from the top level).
	Line, Column int
	// Path is the key path, e.g. "sources[1].url"; empty for problems
	// with the file as a whole.
	Path string
	// Err is what is wrong.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// loader carries one Load or Parse through decoding and validation,
// collecting errors instead of stopping at the first.
type loader struct {
	file string
	dir  string
	env  func(string) (string, bool)
	// nodes maps every key path given a (non-null) value in the file to
	// its key's node (the item's, in a list): it tells the defaults what
	// was set, and puts line numbers on errors found after decoding.
	nodes map[string]*yaml.Node
	// failed holds the key paths that could not be decoded. Checks made
	// after decoding stay quiet about them, and about what encloses or
	// lies under them: "14" for a duration is reported once, not again
	// as "must be positive".
	failed map[string]bool
	// steps counts the values visited, against maxSteps.
	steps int
	errs  []*Error
}

func parse(data []byte, file, dir string, env func(string) (string, bool)) (*Config, error) {
	l := &loader{file: file, dir: dir, env: env, nodes: map[string]*yaml.Node{}, failed: map[string]bool{}}
	root, err := l.document(data)
	if err != nil {
		return nil, err
	}
	c := &Config{}
	if root != nil {
		l.decode(nil, root, "", reflect.ValueOf(c).Elem())
	}
	applyDefaults(c, l.set)
	l.resolvePaths(c)
	l.readSecrets(c)
	l.validate(c)
	if len(l.errs) > 0 {
		return nil, l.joined()
	}
	return c, nil
}

// document parses data into its root node, nil for an empty file.
func (l *loader) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return nil, nil
	case err != nil:
		return nil, l.syntaxError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		e := &Error{File: l.file, Err: errors.New("only one YAML document is allowed")}
		if err == nil {
			e.Line = next.Line
		}
		return nil, e
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if isNull(root) {
		return nil, nil
	}
	return root, nil
}

// syntaxError turns yaml.v3's "yaml: line N: msg" into an Error with the
// line in the usual place.
func (l *loader) syntaxError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: l.file, Err: fmt.Errorf("invalid YAML: %s", msg)}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, convErr := strconv.Atoi(num); convErr == nil {
				e.Line, e.Err = n, fmt.Errorf("invalid YAML: %s", text)
			}
		}
	}
	return e
}

func (l *loader) set(path string) bool {
	_, ok := l.nodes[path]
	return ok
}

// fail records a problem found while decoding, at node n.
func (l *loader) fail(n *yaml.Node, path string, err error) {
	l.failed[path] = true
	l.record(n, path, err)
}

// record adds an error at node n (nil: no position).
func (l *loader) record(n *yaml.Node, path string, err error) {
	e := &Error{File: l.file, Path: path, Err: err}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	l.errs = append(l.errs, e)
}

func (l *loader) failf(n *yaml.Node, path, format string, args ...any) {
	l.fail(n, path, fmt.Errorf(format, args...))
}

// errorf records a problem found after decoding, at the node of path or,
// for a key that is missing, of its nearest enclosing key, so that
// "sources[1].url: required" points at the source that lacks it.
func (l *loader) errorf(path, format string, args ...any) {
	l.errAt(path, fmt.Errorf(format, args...))
}

func (l *loader) errAt(path string, err error) {
	for f := range l.failed {
		if within(path, f) || within(f, path) {
			return
		}
	}
	l.record(l.at(path), path, err)
}

// within reports whether path p is q or lies under it.
func within(p, q string) bool {
	if q == "" || p == q {
		return true
	}
	return strings.HasPrefix(p, q) && (p[len(q)] == '.' || p[len(q)] == '[')
}

func (l *loader) at(path string) *yaml.Node {
	for p := path; p != ""; p = parentPath(p) {
		if n, ok := l.nodes[p]; ok {
			return n
		}
	}
	// The top-level mapping's position would only say "line 1".
	return nil
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func keyPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// joined sorts the errors by where they are in the file (those without a
// place last) and joins them.
func (l *loader) joined() error {
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	var errs []error
	for i, e := range l.errs {
		// An alias repeats its value's problems at the same place.
		if i > 0 && e.Error() == l.errs[i-1].Error() {
			continue
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// decode stores node n, the value of key (nil for list items and the
// document), into v, which is addressable. The Go type of v is
// the schema: this walk, rather than yaml.v3's own decoder, is what lets
// every error name its key path and makes ${ENV} work for numbers and
// booleans as well as strings. A null value leaves v (and the defaults)
// alone, as if the key were absent.
func (l *loader) decode(key, n *yaml.Node, path string, v reflect.Value) {
	// Aliases cannot loop here: the walk follows the Go types, which do
	// not nest recursively.
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) || !l.step(n) {
		return
	}
	// Problems with a whole value are reported at its key: a block
	// mapping or list starts on the line after it.
	at := n
	if key != nil {
		at = key
	}
	l.nodes[path] = at
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if s, ok := l.scalar(n, path); ok {
			if err := u.UnmarshalText([]byte(s)); err != nil {
				l.fail(at, path, err)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		l.decodeMapping(at, n, path, v)
	case reflect.Slice:
		l.decodeList(at, n, path, v)
	case reflect.String:
		if s, ok := l.scalar(n, path); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if s, ok := l.scalar(n, path); ok {
			switch strings.ToLower(s) {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				l.failf(at, path, "must be true or false, got %q", s)
			}
		}
	case reflect.Int:
		if s, ok := l.scalar(n, path); ok {
			i, err := strconv.Atoi(s)
			if err != nil {
				l.failf(at, path, "must be a whole number, got %q", s)
				return
			}
			v.SetInt(int64(i))
		}
	case reflect.Float64:
		if s, ok := l.scalar(n, path); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				l.failf(at, path, "must be a number, got %q", s)
				return
			}
			v.SetFloat(f)
		}
	default:
		panic(fmt.Sprintf("config: no decoder for %s at %s", v.Type(), path))
	}
}

// scalar returns a single value with ${ENV} references expanded.
func (l *loader) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		l.failf(n, path, "must be a single value, got %s", describe(n))
		return "", false
	}
	s, err := expand(n.Value, l.env)
	if err != nil {
		l.fail(n, path, err)
		return "", false
	}
	return s, true
}

// decodeList decodes a list; a single value stands for a list of one, so
// "calendars: managers" and "paths: ./team.ics" read naturally.
func (l *loader) decodeList(at, n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
		if s, ok := l.scalar(n, path); ok {
			v.Set(reflect.ValueOf([]string{s}))
		}
		return
	}
	if n.Kind != yaml.SequenceNode {
		l.failf(at, path, "must be a list, got %s", describe(n))
		return
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		l.decode(nil, item, indexPath(path, i), list.Index(i))
	}
	v.Set(list)
}

type pair struct {
	key, value *yaml.Node
	merged     bool // from a "<<: *anchor" merge
}

func (l *loader) decodeMapping(at, n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		l.failf(at, path, "must be a mapping of keys to values, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]*yaml.Node{}
	for _, p := range l.pairs(n, path, nil) {
		if p.key.Kind != yaml.ScalarNode {
			l.failf(p.key, path, "keys must be plain names, got %s", describe(p.key))
			continue
		}
		name, kp := p.key.Value, keyPath(path, p.key.Value)
		if first, dup := seen[name]; dup {
			// A merged key is overridden by the mapping's own, as in
			// YAML's merge-key spec; only a key written twice is an error.
			if !p.merged {
				l.failf(p.key, kp, "duplicate key (first on line %d)", first.Line)
			}
			continue
		}
		seen[name] = p.key
		i, ok := fields[name]
		if !ok {
			meant, err := unknownKey(name, fields)
			l.fail(p.key, kp, err)
			if meant != "" {
				// The key the user meant is not missing, only misspelt:
				// "required" errors about it would be noise.
				l.failed[keyPath(path, meant)] = true
			}
			continue
		}
		l.decode(p.key, p.value, kp, v.Field(i))
	}
}

// pairs lists a mapping's own key/value pairs followed by those merged in
// with "<<". inside holds the mappings being merged, to refuse a mapping
// that merges itself.
func (l *loader) pairs(n *yaml.Node, path string, inside []*yaml.Node) []pair {
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merged = append(merged, l.merge(v, path, append(inside, n))...)
			continue
		}
		if !l.step(k) {
			return nil
		}
		own = append(own, pair{key: k, value: v})
	}
	return append(own, merged...)
}

func (l *loader) merge(v *yaml.Node, path string, inside []*yaml.Node) []pair {
	for v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	sources := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		sources = v.Content
	}
	var out []pair
	for _, m := range sources {
		for m.Kind == yaml.AliasNode {
			m = m.Alias
		}
		if !l.step(m) {
			return out
		}
		switch {
		case m.Kind != yaml.MappingNode:
			l.failf(m, path, "<< must merge a mapping or a list of mappings, got %s", describe(m))
			continue
		case slices.Contains(inside, m):
			l.failf(m, path, "<< merges a mapping into itself")
			continue
		}
		for _, p := range l.pairs(m, path, inside) {
			p.merged = true
			out = append(out, p)
		}
	}
	return out
}

// maxSteps bounds the values one load may visit. A real configuration has
// hundreds; aliases can make a short file expand to billions.
const maxSteps = 100_000

// step counts one visited value and reports whether to go on.
func (l *loader) step(n *yaml.Node) bool {
	l.steps++
	if l.steps == maxSteps+1 {
		l.record(n, "", fmt.Errorf("more than %d values: do aliases expand too much?", maxSteps))
		l.failed[""] = true // nothing after this is worth reporting
	}
	return l.steps <= maxSteps
}

// yamlFields maps a struct's keys (the names in its yaml tags) to field
// indexes. Fields tagged "-" are not read from the file.
func yamlFields(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	return fields
}

// unknownKey explains an unknown key and names the key probably meant.
func unknownKey(key string, fields map[string]int) (meant string, err error) {
	switch key {
	case "password", "token", "credentials":
		if _, ok := fields[key+"_file"]; ok {
			return key + "_file", fmt.Errorf("inline secrets are not allowed; use %s_file", key)
		}
	}
	best, bestDist := "", 3 // suggest only near misses
	for name := range fields {
		if d := editDistance(key, name); d < bestDist || d == bestDist && name < best {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return best, fmt.Errorf("unknown key (did you mean %s?)", best)
	}
	return "", errors.New("unknown key")
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
