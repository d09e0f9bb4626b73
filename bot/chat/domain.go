package chat

import "github.com/anning-bot/anning/bot/domain"

// The runner is what every transport calls (see bot/domain).
var (
	_ domain.Handler          = (*Runner)(nil)
	_ domain.DeliveryRecorder = (*Runner)(nil)
	_ domain.Holder           = (*Runner)(nil)
	_ domain.Flusher          = (*Runner)(nil)
)
