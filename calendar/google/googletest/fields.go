package googletest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"
	gcal "google.golang.org/api/calendar/v3"
)

// schema is the tree of JSON field names a response type has, from the
// json tags of the google.golang.org/api types; nil children mean any
// JSON (an interface{} field) or a leaf.
type schema map[string]schema

var (
	eventsSchema = schemaOf(reflect.TypeFor[gcal.Events]())
	eventSchema  = schemaOf(reflect.TypeFor[gcal.Event]())
	usersSchema  = schemaOf(reflect.TypeFor[admin.Users]())
)

func schemaOf(t reflect.Type) schema {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	out := schema{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = schemaOf(f.Type)
	}
	return out
}

// mask is a parsed `fields` selection (Google's partial response syntax:
// "a,b(c,d),e/f"); a nil mask selects everything below.
type mask map[string]mask

// parseMask parses a fields value and checks every name against the
// response's schema, as Google does (an unknown field is a 400).
func parseMask(s string, sch schema) (mask, error) {
	m, rest, err := parseList(s, sch)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("unexpected %q", rest)
	}
	return m, nil
}

func parseList(s string, sch schema) (mask, string, error) {
	out := mask{}
	for {
		var name string
		i := strings.IndexAny(s, ",()/")
		if i < 0 {
			name, s = s, ""
		} else {
			name, s = s[:i], s[i:]
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, s, fmt.Errorf("empty field name")
		}
		sub, known := sch[name]
		if !known && sch != nil {
			return nil, s, fmt.Errorf("unknown field %q", name)
		}
		var child mask
		switch {
		case strings.HasPrefix(s, "("):
			var err error
			child, s, err = parseList(s[1:], sub)
			if err != nil {
				return nil, s, err
			}
			if !strings.HasPrefix(s, ")") {
				return nil, s, fmt.Errorf("unbalanced parentheses")
			}
			s = s[1:]
		case strings.HasPrefix(s, "/"):
			var err error
			child, s, err = parsePath(s[1:], sub)
			if err != nil {
				return nil, s, err
			}
		}
		if prev, seen := out[name]; seen {
			out[name] = merge(prev, child)
		} else {
			out[name] = child
		}
		if !strings.HasPrefix(s, ",") {
			return out, s, nil
		}
		s = s[1:]
	}
}

// parsePath reads the rest of "a/b/c" after the first slash: one name,
// possibly with its own sub-selection.
func parsePath(s string, sch schema) (mask, string, error) {
	i := strings.IndexAny(s, ",()/")
	var name string
	if i < 0 {
		name, s = s, ""
	} else {
		name, s = s[:i], s[i:]
	}
	if _, known := sch[name]; !known && sch != nil {
		return nil, s, fmt.Errorf("unknown field %q", name)
	}
	var child mask
	switch {
	case strings.HasPrefix(s, "/"):
		var err error
		child, s, err = parsePath(s[1:], sch[name])
		if err != nil {
			return nil, s, err
		}
	case strings.HasPrefix(s, "("):
		var err error
		child, s, err = parseList(s[1:], sch[name])
		if err != nil {
			return nil, s, err
		}
		if !strings.HasPrefix(s, ")") {
			return nil, s, fmt.Errorf("unbalanced parentheses")
		}
		s = s[1:]
	}
	return mask{name: child}, s, nil
}

// merge combines two selections of one field; selecting a field whole
// wins over selecting parts of it.
func merge(a, b mask) mask {
	if a == nil || b == nil {
		return nil
	}
	for k, v := range b {
		if prev, seen := a[k]; seen {
			a[k] = merge(prev, v)
		} else {
			a[k] = v
		}
	}
	return a
}

// apply keeps what the mask selects of a decoded JSON value.
func (m mask) apply(v any) any {
	if m == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sub := range m {
			if val, ok := x[k]; ok {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.apply(e)
		}
		return out
	}
	return v
}

// writeJSON answers with v, cut down to the request's `fields`.
func writeJSON(w http.ResponseWriter, r *http.Request, v any, sch schema) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "backendError", err.Error())
		return
	}
	if f := r.URL.Query().Get("fields"); f != "" {
		m, err := parseMask(f, sch)
		if err != nil {
			invalid(w, "Invalid field selection %s: %v", f, err)
			return
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			writeError(w, http.StatusInternalServerError, "backendError", err.Error())
			return
		}
		if b, err = json.Marshal(m.apply(generic)); err != nil {
			writeError(w, http.StatusInternalServerError, "backendError", err.Error())
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(b)
}
