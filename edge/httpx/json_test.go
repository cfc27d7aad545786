package httpx

import (
	"encoding/json"
	"testing"
)

type body struct {
	Name  string     `json:"name"`
	Count *int       `json:"count"`
	Tags  StringList `json:"tags"`
	Skip  string     `json:"-"`
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		in, field, code string // code "" = accepted
	}{
		{`{"name":"a","count":2,"tags":["x","y"]}`, "", ""},
		{`{"tags":"x"}`, "", ""},
		{`{"name":"a","name":"b"}`, "name", CodeInvalidBody},
		{`{"NAME":"a"}`, "NAME", CodeInvalidBody},
		{`{"Skip":"a"}`, "Skip", CodeInvalidBody},
		{`{"-":"a"}`, "-", CodeInvalidBody},
		{`{"other":1}`, "other", CodeInvalidBody},
		{`{"name":"a\u0000"}`, "", CodeInvalidBody},
		{`{"name\u001f":"a"}`, "", CodeInvalidBody},
		{`{"tags":["a","b\u0085"]}`, "", CodeInvalidBody},
		{`{"name":"a"} {}`, "", CodeInvalidBody},
		{`[1]`, "", CodeInvalidBody},
		{`{"count":"2"}`, "p.count", CodeInvalidBody},
		{`{"name":`, "", CodeInvalidBody},
		{``, "", CodeInvalidBody},
		{`{"name":{"name":1,"name":2}}`, "p.name", CodeInvalidBody}, // nested keys are the value's concern; here a type error
	}
	for _, tc := range tests {
		var b body
		err := DecodeStrict([]byte(tc.in), &b, "p.")
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.code != "" && err == nil:
			t.Errorf("%s: accepted", tc.in)
		case err != nil && (err.Code != tc.code || (tc.field != "" && err.Field != "p."+tc.field && err.Field != tc.field)):
			t.Errorf("%s: %+v, want field %q code %q", tc.in, err, tc.field, tc.code)
		}
	}
}

// No input makes DecodeStrict panic, accept a control character, accept a
// duplicate or miscased key, or disagree with encoding/json about what is
// valid JSON it accepts.
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{`{"name":"a","count":1}`, `{"tags":["a"]}`, `{"name":"a","NAME":"b"}`, `{"name":"\u0000"}`, `{`, `[]`, `{"tags":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b body
		if err := DecodeStrict(data, &b, ""); err != nil {
			if err.Status != 400 || err.Message == "" {
				t.Fatalf("%q: %+v", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		for _, s := range append([]string{b.Name}, b.Tags...) {
			if HasControl(s) {
				t.Fatalf("accepted a control character in %q", data)
			}
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) == nil {
			for k := range m {
				if k != "name" && k != "count" && k != "tags" {
					t.Fatalf("accepted key %q in %q", k, data)
				}
			}
		}
	})
}
