package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
)

// The live price board in a real browser (Chromium through playwright-core,
// installed by scripts/browser.sh): against `gpubroker cell` with prices
// moving, the page loads with no console errors, its WebSocket connects,
// and a price change (simulator step, worker refresh, event, push) shows
// in the DOM, highlighted.
func TestBoardInBrowser(t *testing.T) {
	modules := testenv.Env(t, "GPUBROKER_TEST_PLAYWRIGHT_DIR", "playwright-core (scripts/browser.sh install)")
	chromium := testenv.Env(t, "GPUBROKER_TEST_CHROMIUM", "a Chromium binary (scripts/browser.sh install)")
	c := startCell(t, "GPUBROKER_SIM_STEP=500ms", "GPUBROKER_PROBE_INTERVAL=1s")
	script, err := filepath.Abs("testdata/board.cjs")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(modules, "node_modules"), "CHROMIUM="+chromium,
		"BOARD_URL=http://"+c.http)
	out, err := cmd.CombinedOutput()
	t.Logf("browser: %s", out)
	if err != nil {
		t.Fatalf("board in the browser: %v", err)
	}
}
