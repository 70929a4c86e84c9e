package dispatch

import (
	"testing"
	"time"
)

func TestOutboxBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	o := NewOutbox(nil, nil, nil, OutboxOptions{MinBackoff: time.Second, MaxBackoff: 10 * time.Second})
	for attempts := 1; attempts <= 12; attempts++ {
		base := time.Second << (attempts - 1)
		if base > 10*time.Second || base <= 0 {
			base = 10 * time.Second
		}
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := o.backoff(attempts)
			if d < base/2 || d > base {
				t.Fatalf("attempt %d: backoff %s outside [%s, %s]", attempts, d, base/2, base)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: no jitter, always %v", attempts, seen)
		}
	}
}

func TestOutboxOptionDefaults(t *testing.T) {
	o := NewOutbox(nil, nil, nil, OutboxOptions{SendTimeout: time.Minute, Lease: 30 * time.Second})
	if o.opts.Lease <= o.opts.SendTimeout {
		t.Errorf("lease %s not longer than a send (%s): a slow send would be taken over and sent twice", o.opts.Lease, o.opts.SendTimeout)
	}
	if o.opts.Workers <= 0 || o.opts.Batch <= 0 || o.opts.Tick <= 0 || o.opts.MaxAttempts <= 0 {
		t.Errorf("defaults missing: %+v", o.opts)
	}
}
