package whatsapp

import (
	"time"

	"github.com/riverqueue/river"

	"concierge/internal/jobs"
)

// Workers registers the channel's jobs and its periodic sweep:
//
//	conversation.process  a conversation has news (process.go)
//	conversation.send     one outbound message (send.go)
//	conversation.sweep    inbound messages left unprocessed (sweep.go), every
//	                      WHATSAPP_SWEEP_AFTER, at most every minute
func (s *Service) Workers(j *jobs.Jobs) error {
	for _, err := range []error{
		jobs.AddWorker(j, &ProcessWorker{Service: s}),
		jobs.AddWorker(j, &SendWorker{Service: s}),
		jobs.AddWorker(j, &SweepWorker{Service: s}),
		j.Periodic(min(s.cfg.SweepAfter, time.Minute), func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil }),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
