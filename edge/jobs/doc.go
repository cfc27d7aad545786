// Package jobs is the edge feature that lets an orchestrator run the
// cell's jobs: POST /api/v2/jobs/{job} for cache_warm, provider_health,
// data_sync, webhook_delivery and webhook_dead.
//
// The jobs themselves live where their logic does (the search cache's
// Warm, the workers' Probe, the data-sync job, the webhook deliverer's
// Attempt and DeadLetter); this package only speaks HTTP for them. Only
// service tokens holding the jobs:run scope may call the routes: a user's
// session or API key is refused, so running the cell's jobs stays with the
// operator's orchestrator (Airflow, docs/jobs.md). Concurrent calls of
// one job share one run.
package jobs
