package redis

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestWakerAcrossProcesses(t *testing.T) {
	ctx := testCtx(t)
	a := testClient(t)
	w := NewWaker(a)
	other := NewWaker(testClientPrefix(t, a.prefix))

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { must(t, w.Run(runCtx)) })
	<-w.Ready()

	// Another process wakes us: a Wait that would last an hour returns. A
	// wake that came before the Wait is kept for it, so the order of the two
	// does not matter.
	must(t, other.Wake(ctx))
	must(t, w.Wait(ctx, time.Hour))

	stop()
	wg.Wait() // Run returns when its context ends
}

func TestWakerWaitEnds(t *testing.T) {
	w := NewWaker(testClient(t))
	// No Run and no wake: Wait falls back to its duration.
	must(t, w.Wait(testCtx(t), time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Wait(ctx, time.Hour); err == nil {
		t.Fatal("Wait with a cancelled context = nil, want its error")
	}
	// Wake signals the own process even before Run is listening.
	must(t, w.Wake(testCtx(t)))
	must(t, w.Wait(testCtx(t), time.Hour))
}
