package redis

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// UseLogger sends go-redis's own messages (a pool's failed dial, a
// subscription reconnecting) to l as warnings, where they would otherwise go
// to stderr past the service's log format. go-redis keeps one logger per
// process, so only the process's wiring (cmd/dispatcher) calls this, once.
func UseLogger(l *slog.Logger) { goredis.SetLogger(printfLogger{l}) }

type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(ctx context.Context, format string, v ...any) {
	p.l.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}
