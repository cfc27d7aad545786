"""provider_health: every 30 seconds, have one worker of every provider call its provider now.

POST /api/v2/jobs/provider_health (docs/jobs.md): the breakers, health and
heartbeats the load balancer weighs replicas by are current. Unhealthy
providers are logged (they are the job's finding, not its failure); only
a non-200 answer fails the task.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from airflow.sdk import dag, task

from gpubroker_jobs.common import START, TAGS, run_job

log = logging.getLogger(__name__)


@dag(
    dag_id="provider_health",
    schedule=timedelta(seconds=30),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=2),
    tags=TAGS,
    doc_md=__doc__,
)
def provider_health():
    @task(retries=2, retry_delay=timedelta(seconds=5), retry_exponential_backoff=2.0,
          max_retry_delay=timedelta(seconds=20), execution_timeout=timedelta(seconds=150))
    def probe() -> dict:
        results = run_job("provider_health") or []
        healthy = [r.get("provider") for r in results if r.get("healthy")]
        unhealthy = {r.get("provider"): r.get("error") or r.get("error_kind") or "unhealthy"
                     for r in results if not r.get("healthy")}
        for r in results:
            log.info("provider %s: %s, %s offers, %s ms, %s replicas", r.get("provider"),
                     "healthy" if r.get("healthy") else "UNHEALTHY", r.get("offers"), r.get("latency_ms"),
                     r.get("replicas"))
        if unhealthy:
            log.warning("unhealthy providers: %s", unhealthy)
        return {"healthy": healthy, "unhealthy": unhealthy}

    probe()


provider_health()
