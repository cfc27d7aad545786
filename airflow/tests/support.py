"""Imported first by every test module: a throwaway AIRFLOW_HOME, the DAG
folder on sys.path, and none of the variables that change how the DAGs
parse (so the assertions hold whatever the caller's environment)."""

import atexit
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DAGS = os.path.abspath(os.path.join(HERE, "..", "dags"))
TESTDATA = os.path.join(HERE, "testdata")

if "AIRFLOW_HOME" not in os.environ:
    _home = tempfile.mkdtemp(prefix="gpubroker-airflow-test-")
    atexit.register(shutil.rmtree, _home, True)
    os.environ["AIRFLOW_HOME"] = _home
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = DAGS
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
for k in ("GPUBROKER_URL", "GPUBROKER_TOKEN", "GPUBROKER_CELL", "GPUBROKER_WEBHOOKS_TOPIC", "GPUBROKER_KAFKA_CONN_ID",
          "GPUBROKER_WEBHOOK_RETRY_DELAY", "GPUBROKER_WEBHOOK_MAX_RETRY_DELAY", "GPUBROKER_JOB_TIMEOUT", "KAFKA_BROKERS"):
    os.environ.pop(k, None)
if DAGS not in sys.path:
    sys.path.insert(0, DAGS)


def real_request_bytes() -> bytes:
    """A webhook_request record exactly as a cell's bridge wrote it to Kafka gpubroker.webhooks."""
    with open(os.path.join(TESTDATA, "webhook_request.json"), "rb") as f:
        return f.read()
