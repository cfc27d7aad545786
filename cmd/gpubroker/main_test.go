package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunRejectsBadInvocations(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{}, {"launch"}, {"edge"}, {"worker"}, {"cell", "--log-level", "loud"}, {"cell", "--no-such-flag"}} {
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if err := run([]string{"help"}, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "usage: gpubroker") {
		t.Fatalf("help: %v", err)
	}
}
