package evidence

import "github.com/anning-bot/anning/bot/domain"

// TakeSlot holds one of the OCR slots until the returned func is called
// (tests: an image that waits, as when the bot stops before reading it).
func (o *OCR) TakeSlot() (release func()) {
	o.slots <- struct{}{}
	return func() { <-o.slots }
}

// UseLedger points the service at another ledger store (tests: a restart).
func (s *Service) UseLedger(st domain.Store) { s.ledger = ledgers{store: st} }
