"""Helpers shared by the GPUBROKER DAGs (see airflow/README.md).

``gateway``  the HTTP calls to the gateway's job routes (docs/jobs.md)
``kafka``    the apply function the webhook_delivery DAG's Kafka watcher runs
``delivery`` one webhook_delivery attempt and the dead letter after the last

The package sits next to the DAG files (the DAG folder is on ``sys.path``
when DAGs are parsed and tasks run). The triggerer imports ``kafka`` by its
dotted path, so the DAG folder must be on its ``PYTHONPATH`` too
(``airflow/run-local`` sets it). ``.airflowignore`` keeps the DAG processor
from parsing these files as DAG files.
"""
