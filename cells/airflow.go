package cells

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/edge/ops"
)

// airflowDAGs are the DAGs of airflow/dags whose last successful run
// /health shows.
var airflowDAGs = []string{"cache_warm", "provider_health", "data_sync", "webhook_delivery"}

// airflowView asks the Airflow API server at base (its REST API v2) how
// its components are and when each of the cell's DAGs last succeeded.
func airflowView(ctx context.Context, client *http.Client, base, token string) *ops.AirflowView {
	v := &ops.AirflowView{Components: map[string]string{}, LastSuccess: map[string]time.Time{}}
	get := func(path string, out any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+path, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s answered %d", path, resp.StatusCode)
		}
		return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
	}
	var health map[string]struct {
		Status string `json:"status"`
	}
	if err := get("/api/v2/monitor/health", &health); err != nil {
		v.Error = "airflow: " + err.Error()
		return v
	}
	v.Reachable = true
	for name, c := range health {
		v.Components[name] = c.Status
	}
	for _, dag := range airflowDAGs {
		var runs struct {
			DagRuns []struct {
				EndDate time.Time `json:"end_date"`
			} `json:"dag_runs"`
		}
		q := url.Values{"state": {"success"}, "limit": {"1"}, "order_by": {"-end_date"}}
		if err := get("/api/v2/dags/"+dag+"/dagRuns?"+q.Encode(), &runs); err != nil {
			v.Error = "airflow: " + err.Error()
			continue
		}
		if len(runs.DagRuns) > 0 {
			v.LastSuccess[dag] = runs.DagRuns[0].EndDate.UTC()
		}
	}
	return v
}
