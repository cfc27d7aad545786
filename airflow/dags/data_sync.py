"""data_sync: hourly, sync every provider's offers and price history into the gateway's store.

POST /api/v2/jobs/data_sync (docs/jobs.md). The task returns the sync's
counts (providers_ok, providers_failed, offers, price_points, gone) as its
XCom. The gateway answers 502 only when every provider failed; that, and
any other non-200 answer, fails the task (and retries it).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from airflow.sdk import dag, task

from gpubroker_jobs.common import START, TAGS, run_job

log = logging.getLogger(__name__)

COUNTS = ("providers_ok", "providers_failed", "offers", "price_points", "gone")


@dag(
    dag_id="data_sync",
    schedule=timedelta(hours=1),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=50),
    tags=TAGS,
    doc_md=__doc__,
)
def data_sync():
    @task(retries=3, retry_delay=timedelta(minutes=1), retry_exponential_backoff=2.0,
          max_retry_delay=timedelta(minutes=10), execution_timeout=timedelta(minutes=5))
    def sync() -> dict:
        result = run_job("data_sync") or {}
        for p in result.get("providers") or []:
            log.info("provider %s", p)
        counts = {k: int(result.get(k) or 0) for k in COUNTS}
        log.info("data_sync: %s", counts)
        return counts

    sync()


data_sync()
