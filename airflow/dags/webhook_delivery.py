"""webhook_delivery: deliver every webhook_request the cell puts on Kafka ``gpubroker.webhooks``.

Event-driven: the DAG is scheduled on the asset ``gpubroker_webhooks``,
whose watcher (``MessageQueueTrigger``, scheme ``kafka``, in the triggerer)
reads the topic through the Airflow connection ``gpubroker_kafka`` and runs
``gpubroker_jobs.kafka.webhook_request`` on every record: a valid
webhook_request of this cell (``GPUBROKER_CELL``; any cell when unset)
becomes an asset event, anything else is skipped. Each asset event makes a
DAG run (events arriving together share one); ``requests`` lists the
run's requests and ``deliver`` is mapped over them, one task instance per
request.

``deliver`` POSTs /api/v2/jobs/webhook_delivery with ``{"request", "attempt"}``
(the attempt is the task's try). 200: done. 502/503 or no answer: the task
fails and Airflow retries it, 8 tries in all, with exponential backoff: the
wait after try n is between 1x and 2x of 30 s * 2^(n-1), at most 30 minutes
(30-60 s, 1-2, 2-4, 4-8, 8-16, 16-30, then 30 minutes), so the 8th try
comes 61.5 to 91 minutes after the first (the gateway's own deliverer: about
an hour). On the 8th try it POSTs /api/v2/jobs/webhook_dead with the last
status and error, then fails for good. 400 (a request the gateway refuses)
fails at once, without a dead letter.

A run triggered by hand delivers ``conf`` ``{"request": {...}}`` or
``{"requests": [...]}`` (redelivering a dead letter's request, say).
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import Asset, AssetWatcher, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from gpubroker_jobs import delivery
from gpubroker_jobs.common import START, TAGS
from gpubroker_jobs.gateway import Gateway

TOPIC = os.environ.get("GPUBROKER_WEBHOOKS_TOPIC", "gpubroker.webhooks")
KAFKA_CONN_ID = os.environ.get("GPUBROKER_KAFKA_CONN_ID", "gpubroker_kafka")
CELL = os.environ.get("GPUBROKER_CELL", "").strip() or None
# The retry schedule's first wait and its cap, in seconds (tests shorten them).
RETRY_DELAY = timedelta(seconds=float(os.environ.get("GPUBROKER_WEBHOOK_RETRY_DELAY", "") or 30))
MAX_RETRY_DELAY = timedelta(seconds=float(os.environ.get("GPUBROKER_WEBHOOK_MAX_RETRY_DELAY", "") or 1800))

_server = (os.environ.get("KAFKA_BROKERS", "").split(",")[0].strip() or "kafka:9092")

WEBHOOKS = Asset(
    name="gpubroker_webhooks",
    uri=f"kafka://{_server}/{TOPIC}",
    watchers=[
        AssetWatcher(
            name="gpubroker_webhooks_watcher",
            trigger=MessageQueueTrigger(
                scheme="kafka",
                topics=[TOPIC],
                kafka_config_id=KAFKA_CONN_ID,
                apply_function="gpubroker_jobs.kafka.webhook_request",
                apply_function_kwargs={"cell": CELL},
                poll_timeout=1,
                # The trigger sleeps this long after every skipped record.
                poll_interval=0,
            ),
        )
    ],
)


@dag(
    dag_id="webhook_delivery",
    schedule=[WEBHOOKS],
    start_date=START,
    catchup=False,
    # Runs whose deliveries wait for a retry stay active; let many wait.
    max_active_runs=64,
    tags=TAGS,
    doc_md=__doc__,
)
def webhook_delivery():
    @task(retries=2, retry_delay=timedelta(seconds=5), retry_exponential_backoff=2.0,
          max_retry_delay=timedelta(seconds=30))
    def requests() -> list[dict]:
        ctx = get_current_context()
        conf = ctx["dag_run"].conf if ctx.get("dag_run") else None
        return delivery.requests_from(ctx.get("triggering_asset_events"), conf)

    @task(retries=delivery.TRIES - 1, retry_delay=RETRY_DELAY, retry_exponential_backoff=2.0,
          max_retry_delay=MAX_RETRY_DELAY, execution_timeout=timedelta(minutes=3),
          max_active_tis_per_dag=16, map_index_template="{{ delivery_id }}")
    def deliver(request: dict) -> dict:
        ctx = get_current_context()
        ctx["delivery_id"] = str(request.get("event_id"))  # names the mapped task instance
        ti = ctx["ti"]
        attempt, last = delivery.attempt_of(ti.try_number, ti.max_tries, ti.task.retries or 0)
        try:
            return delivery.deliver(Gateway.from_env(), request, attempt, last)
        except delivery.DeliveryFailed as e:
            raise AirflowFailException(str(e)) from e

    deliver.expand(request=requests())


webhook_delivery()
