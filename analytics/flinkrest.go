package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// FlinkJob is one job as the Flink REST API lists it.
type FlinkJob struct {
	ID    string `json:"jid"`
	Name  string `json:"name"`
	State string `json:"state"`
}

// FlinkJobs lists the jobs of the Flink cluster (or local MiniCluster)
// whose REST endpoint is base ("http://host:8081"), for /health.
func FlinkJobs(ctx context.Context, client *http.Client, base string) ([]FlinkJob, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/jobs/overview", nil)
	if err != nil {
		return nil, fmt.Errorf("flink: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("flink: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("flink: GET /jobs/overview answered %d", resp.StatusCode)
	}
	var body struct {
		Jobs []FlinkJob `json:"jobs"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("flink: /jobs/overview: %w", err)
	}
	return body.Jobs, nil
}
