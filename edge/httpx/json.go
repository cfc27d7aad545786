package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// StringList accepts a JSON string or an array of strings.
type StringList []string

func (l *StringList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // null means "not given", as for pointer fields
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		// A type error lets encoding/json fill in the field's path.
		return &json.UnmarshalTypeError{Value: "string list", Type: reflect.TypeFor[StringList]()}
	}
	*l = many
	return nil
}

// DecodeBody reads the request's JSON body into v (DecodeStrict), answering
// 400 itself when it cannot.
func DecodeBody(r *Request, v any) bool {
	if err := DecodeStrict(r.PostBody(), v, ""); err != nil {
		WriteError(r.RequestCtx, err)
		return false
	}
	return true
}

// DecodeStrict decodes exactly one JSON object into v (a pointer to a
// struct), naming the offending field, prefixed, on error. It is stricter
// than encoding/json, whose rules let a body say something other than what
// it seems to: keys must be exactly a field's name (encoding/json matches
// them case-insensitively) and may appear once (encoding/json lets the
// last win, so {"max_price":1,"MAX_PRICE":100} searched up to 100); unknown
// fields, trailing data and control characters in any string are refused.
func DecodeStrict(data []byte, v any, prefix string) *Error {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		field := strings.TrimSuffix(prefix, ".")
		msg := "must be a JSON object"
		if field == "" {
			msg = "request body " + msg
		} else {
			msg = field + ": " + msg
		}
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Field: field, Message: msg}
	}
	if err := checkKeys(data, fieldNames(reflect.TypeOf(v)), prefix); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, prefix)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Message: "request body must hold a single JSON value"}
	}
	return nil
}

// checkKeys walks the body's tokens: keys of the top-level object must be
// among fields (when known) and unique, and no string anywhere may hold a
// control character. A body that is not valid JSON is left to the decoder,
// whose error messages say where.
func checkKeys(data []byte, fields map[string]bool, prefix string) *Error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	seen := map[string]bool{}
	depth, inArray := 0, []bool{}
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				depth++
				inArray = append(inArray, false)
			case '[':
				depth++
				inArray = append(inArray, true)
			default:
				depth--
				inArray = inArray[:len(inArray)-1]
			}
			if depth == 0 {
				return nil
			}
			expectKey = depth > 0 && !inArray[len(inArray)-1]
			continue
		case string:
			if i := controlAt(t); i >= 0 {
				what := "a string"
				if expectKey {
					what = "a field name"
				}
				return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody,
					Message: fmt.Sprintf("%s in the request body holds a control character (U+%04X)", what, []rune(t[i:])[0])}
			}
			if expectKey && depth == 1 {
				switch {
				case seen[t]:
					return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Field: prefix + t,
						Message: "field " + strconv.Quote(prefix+t) + " is given more than once"}
				case fields != nil && !fields[t]:
					return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Field: prefix + t,
						Message: "unknown field " + strconv.Quote(prefix+t)}
				}
				seen[t] = true
			}
		}
		// After a key comes its value; after a value in an object, a key.
		if len(inArray) > 0 && !inArray[len(inArray)-1] {
			expectKey = !expectKey
		}
	}
}

// controlAt is the byte index of the first control character (C0, DEL or
// C1) in s, or -1.
func controlAt(s string) int {
	for i, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return i
		}
	}
	return -1
}

// HasControl reports whether s holds a control character.
func HasControl(s string) bool { return controlAt(s) >= 0 }

var fieldCache sync.Map // reflect.Type -> map[string]bool

// fieldNames are the JSON names of a struct's fields (through pointers),
// or nil when t is not a struct.
func fieldNames(t reflect.Type) map[string]bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]bool)
	}
	m := map[string]bool{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = true
	}
	fieldCache.Store(t, m)
	return m
}

func jsonError(err error, prefix string) *Error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody,
			Message: fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		field := prefix + typ.Field
		if typ.Field == "" {
			return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Message: "request body must be a JSON object"}
		}
		kind := jsonKind(typ.Type.Kind().String())
		if typ.Type == reflect.TypeFor[StringList]() {
			kind = "a string or an array of strings"
		}
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Field: field,
			Message: field + ": must be " + kind}
	case errors.Is(err, io.EOF):
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Message: "request body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Message: "request body is truncated JSON"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(f)
		return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Field: prefix + name,
			Message: "unknown field " + strconv.Quote(prefix+name)}
	}
	// Errors from our own UnmarshalJSON methods name no field; keep the text.
	return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidBody, Message: "invalid request body: " + strings.TrimPrefix(msg, "json: ")}
}

func jsonKind(k string) string {
	switch k {
	case "float64", "float32":
		return "a number"
	case "int", "int64", "int32":
		return "an integer"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "of another type"
}
