package service

import "context"

// Ready reports whether the service can do all its work: without a log it only converts, which
// needs nothing; with one, the log must be reachable and answer.
func (s *Webhooks) Ready(ctx context.Context) error {
	if s.log == nil {
		return nil
	}
	return s.log.Ready(ctx)
}
