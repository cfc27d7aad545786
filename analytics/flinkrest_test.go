package analytics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFlinkJobs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jobs/overview" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"jobs":[{"jid":"a1","name":"insert-into_default_catalog.default_database.alerts","state":"RUNNING","tasks":{}},{"jid":"b2","name":"old","state":"CANCELED"}]}`))
	}))
	defer srv.Close()
	jobs, err := FlinkJobs(context.Background(), srv.Client(), srv.URL+"/")
	if err != nil || len(jobs) != 2 || jobs[0].State != "RUNNING" || jobs[1].ID != "b2" {
		t.Fatalf("%+v %v", jobs, err)
	}
	if _, err := FlinkJobs(context.Background(), srv.Client(), srv.URL+"/nope"); err == nil {
		t.Fatal("a 404 listed jobs")
	}
}
