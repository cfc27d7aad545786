// Package logboot holds what the standard log package prints while the
// program's packages initialize, before main has built its slog logger:
// a dependency (the metrics library) logs from a package-level variable,
// which would otherwise reach stderr as the one plain-text line of a JSON
// log. main replays the held lines through slog (Replay) once its logger
// exists. Import it first (blank) from main; its import path sorts before
// those of the dependencies that log at init, and it needs only the
// packages they need, so the Go initialization order runs it first.
package logboot

import (
	"bytes"
	"log"
	"log/slog"
	"strings"
	"sync"
)

var (
	mu   sync.Mutex
	held bytes.Buffer
)

type holder struct{}

func (holder) Write(p []byte) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	return held.Write(p)
}

func init() {
	log.SetFlags(0)
	log.SetOutput(holder{})
}

// Replay logs every held line through l at info level, then lets the log
// package write through l as slog.SetDefault arranges. Call it after
// slog.SetDefault(l).
func Replay(l *slog.Logger) {
	mu.Lock()
	lines := strings.Split(strings.TrimSpace(held.String()), "\n")
	held.Reset()
	mu.Unlock()
	for _, line := range lines {
		if line = strings.TrimSpace(line); line != "" {
			l.Info(line, "component", "go-log")
		}
	}
}
