package adapters

import "github.com/gpubroker/gpubroker/shared"

// offerSet collects the offers a parse function emits. It drops offers that
// fail shared.Offer.Validate, so one garbage entry (a price that rounds to
// zero per GPU, a missing name) never reaches a caller, and keeps the first
// offer of each id, so ids stay unique when a provider lists an entry twice
// or two raw names fold to the same id. The zero value is ready to use.
type offerSet struct {
	list []shared.Offer
	seen map[string]bool
}

// add keeps o when it is valid and its id is new: the first valid offer of
// an id wins. An invalid offer does not take its id.
func (s *offerSet) add(o shared.Offer) {
	if o.Validate() == nil && s.claim(o.ID) {
		s.list = append(s.list, o)
	}
}

// claim takes id before its offer is complete; false means an earlier offer
// has it. Parsers that claim an id first and check the finished offer with
// keep give the id to the first entry even when that entry then fails
// validation, so a later duplicate is dropped either way.
func (s *offerSet) claim(id string) bool {
	if s.seen[id] {
		return false
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[id] = true
	return true
}

// keep appends o, whose id the caller has claimed, when it is valid.
func (s *offerSet) keep(o shared.Offer) {
	if o.Validate() == nil {
		s.list = append(s.list, o)
	}
}

// offers is what has been kept, in the order it was added (nil when none).
func (s *offerSet) offers() []shared.Offer { return s.list }

// result returns the offers kept or, when the provider listed inputs
// entries (inputs > 0) and not one gave an offer, the upstream error
// "<inputs> <what>", e.g. "vastai: upstream: 3 offers but none with GPUs
// and a price": an answer full of entries we cannot use means the format
// changed, which must not pass as an empty market.
func (s *offerSet) result(at origin, inputs int, what string) ([]shared.Offer, error) {
	if inputs > 0 && len(s.list) == 0 {
		return nil, at.fail("%d %s", inputs, what)
	}
	return s.list, nil
}
