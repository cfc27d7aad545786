"""cache_warm: every 5 minutes, fill the gateway edge's cache with every provider's offers.

POST /api/v2/jobs/cache_warm (docs/jobs.md). A provider that could not be
cached is counted in ``failed`` and logged; only a non-200 answer fails
the task (and retries it).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from airflow.sdk import dag, task

from gpubroker_jobs.common import START, TAGS, run_job

log = logging.getLogger(__name__)


@dag(
    dag_id="cache_warm",
    schedule=timedelta(minutes=5),
    start_date=START,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=10),
    tags=TAGS,
    doc_md=__doc__,
)
def cache_warm():
    @task(retries=3, retry_delay=timedelta(seconds=20), retry_exponential_backoff=2.0,
          max_retry_delay=timedelta(minutes=2), execution_timeout=timedelta(minutes=3))
    def warm() -> dict:
        result = run_job("cache_warm") or {}
        counts = {"warm": int(result.get("warm", 0)), "failed": int(result.get("failed", 0))}
        for p in result.get("providers") or []:
            log.info("provider %s: %s, %s offers (%s)", p.get("provider"), p.get("status"), p.get("offers"),
                     p.get("cache", "-"))
        for w in result.get("warnings") or []:
            log.warning("warning: %s", w)
        (log.warning if counts["failed"] else log.info)("cache_warm: %(warm)d providers cached, %(failed)d failed",
                                                         counts)
        return counts

    warm()


cache_warm()
