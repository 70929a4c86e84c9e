package main

import (
	"context"

	"github.com/kz-volunteers/dispatcher/configs"
	"github.com/kz-volunteers/dispatcher/console"
	"github.com/kz-volunteers/dispatcher/dispatch"
	"github.com/kz-volunteers/dispatcher/intake"
)

// openRecords builds the barrier reports, hours and retention services from
// the settings, and the public barriers page, which Open registers. The
// console's pages get the services through the returned options.
func (m *Main) openRecords() (console.RecordsOptions, *intake.BarriersPage, error) {
	barriers := dispatch.NewBarriers(m.Store, nil)
	page, err := intake.NewBarriersPage(intake.BarriersOptions{
		Barriers: barriers, Files: configs.Files, Location: m.Config.Location(),
	})
	if err != nil {
		return console.RecordsOptions{}, nil, err
	}
	return console.RecordsOptions{
		Barriers:   barriers,
		Hours:      dispatch.NewHours(m.Store, m.Config.Location()),
		Retention:  m.retention(),
		CentreName: m.Config.CentreName,
	}, page, nil
}

func (m *Main) retention() *dispatch.Retention {
	return dispatch.NewRetention(m.Store, dispatch.RetentionOptions{
		Period: m.Config.RetentionPeriod, Logger: m.Logger,
	})
}

// runRetention is the background loop Run starts: every RETENTION_INTERVAL
// it makes the reports of new accessibility tickets and removes the
// personal data whose RETENTION_PERIOD is over. It returns when ctx ends.
func (m *Main) runRetention(ctx context.Context) error {
	return m.retention().Run(ctx, m.Config.RetentionInterval, dispatch.NewBarriers(m.Store, nil).Sync)
}
