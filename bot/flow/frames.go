package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Frames are the answered questions of a session, oldest first. Every
// session keeps up to maxHistory of them, so they are written compactly: a
// frame without undo is one string, "step" when it is in the flow of the
// frame before it, else "flow.step" (flow and step ids never hold a dot);
// one with undo is the object {"s","u"}, with "f" too when its flow is not
// the one before. Every frame was written {"f","s","u"} before (schema 1),
// which is still read. A walk through the borrower's path keeps ~620 bytes
// instead of ~990.
type Frames []Frame

// sameFlowFrame is a frame with undo in the flow of the frame before it.
type sameFlowFrame struct {
	Step string `json:"s"`
	Undo []Undo `json:"u,omitempty"`
}

func (fs Frames) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16*len(fs)+2)
	b = append(b, '[')
	prev := ""
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		if len(f.Undo) > 0 || !plainID(f.Flow) || !plainID(f.Step) {
			var obj []byte
			var err error
			if f.Flow == prev && plainID(f.Flow) {
				obj, err = json.Marshal(sameFlowFrame{Step: f.Step, Undo: f.Undo})
			} else {
				obj, err = json.Marshal(f)
			}
			if err != nil {
				return nil, fmt.Errorf("flow: encode history: %w", err)
			}
			b = append(b, obj...)
		} else {
			b = append(b, '"')
			if f.Flow != prev {
				b = append(append(b, f.Flow...), '.')
			}
			b = append(append(b, f.Step...), '"')
		}
		prev = f.Flow
	}
	return append(b, ']'), nil
}

func (fs *Frames) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	out := make(Frames, 0, len(raw))
	prev := ""
	for _, r := range raw {
		var f Frame
		if bytes.HasPrefix(r, []byte(`"`)) {
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return err
			}
			var ok bool
			if f.Flow, f.Step, ok = strings.Cut(s, "."); !ok {
				f.Flow, f.Step = prev, s
			}
		} else {
			var obj struct {
				Flow *string `json:"f"` // absent: the flow of the frame before
				Step string  `json:"s"`
				Undo []Undo  `json:"u"`
			}
			if err := json.Unmarshal(r, &obj); err != nil {
				return err
			}
			f = Frame{Flow: prev, Step: obj.Step, Undo: obj.Undo}
			if obj.Flow != nil {
				f.Flow = *obj.Flow
			}
		}
		out = append(out, f)
		prev = f.Flow
	}
	*fs = out
	return nil
}

// plainID reports whether s can be written bare in a compact frame: the
// ids the loader accepts (lowercase letters, digits and _).
func plainID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// UnmarshalJSON reads a State of any schema: version 1 kept History under
// "h". Version 2 writes it under "g", not "h", so that a bot of version 1,
// which cannot read the compact frames, still decodes a newer session,
// finds its schema too new and leaves it alone (a rolling deploy, a
// rollback); under "h" it would fail to decode it and start afresh over it.
func (s *State) UnmarshalJSON(data []byte) error {
	type plain State // without this method
	var v struct {
		plain
		V1History Frames `json:"h"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*s = State(v.plain)
	if len(s.History) == 0 && len(v.V1History) > 0 {
		s.History = v.V1History
	}
	return nil
}
