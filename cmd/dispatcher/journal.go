package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/storage/redis"
)

// openJournal builds the journal of what arrives while PostgreSQL is away
// and the replayer that makes it into tickets (JOURNAL_ENABLED), with their
// metrics. It returns nil when the journal is off, so that intake and the
// API answer 503 then.
func (m *Main) openJournal(reg *prometheus.Registry, sms dispatch.SMSHandler, intake dispatch.TicketIntake) dispatch.Journal {
	if !m.Config.JournalEnabled {
		return nil
	}
	m.Journal = redis.NewJournal(m.Redis)
	m.Replayer = dispatch.NewReplayer(m.Journal, sms, intake, dispatch.ReplayerOptions{
		Lease: m.Config.JournalLease, Logger: m.Logger,
	})
	journal, replayer := m.Journal, m.Replayer
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dispatcher_journal_depth",
		Help: "Requests accepted while PostgreSQL was away and not replayed yet (-1: Redis did not answer).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := journal.Depth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	for result, read := range map[string]func(dispatch.ReplayStats) int64{
		"replayed": func(s dispatch.ReplayStats) int64 { return s.Replayed },
		"retried":  func(s dispatch.ReplayStats) int64 { return s.Retried },
		"dropped":  func(s dispatch.ReplayStats) int64 { return s.Dropped },
	} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "dispatcher_journal_replays_total",
			Help:        "Journal entries this process replayed, put back after a failure, or gave up.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(read(replayer.Stats())) }))
	}
	return m.Journal
}
