"""The DAG folder parses, with the schedules and retry settings of airflow/README.md."""

import support  # noqa: F401  (first: the environment)

import unittest
import uuid
from datetime import datetime, timedelta, timezone

from airflow.dag_processing.dagbag import DagBag
from airflow.models.taskinstance import TaskInstance
from airflow.sdk import Asset
from airflow.serialization.serialized_objects import DagSerialization

DAG_IDS = {"cache_warm", "provider_health", "data_sync", "webhook_delivery"}


class DagBagTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bag = DagBag(dag_folder=support.DAGS)

    def test_loads_all_four_without_import_errors(self):
        self.assertEqual(self.bag.import_errors, {})
        self.assertEqual(set(self.bag.dag_ids), DAG_IDS)

    def test_helpers_are_not_parsed_as_dags(self):
        self.assertFalse(any("gpubroker_jobs" in d.fileloc for d in self.bag.dags.values()))

    def test_periodic_schedules(self):
        for dag_id, every in {"cache_warm": timedelta(minutes=5), "provider_health": timedelta(seconds=30),
                              "data_sync": timedelta(hours=1)}.items():
            dag = self.bag.dags[dag_id]
            with self.subTest(dag=dag_id):
                self.assertEqual(dag.schedule, every)
                self.assertEqual(type(dag.timetable).__name__, "DeltaTriggerTimetable")
                self.assertFalse(dag.catchup)
                self.assertEqual(dag.max_active_runs, 1)

    def test_webhook_delivery_is_scheduled_on_the_kafka_asset(self):
        dag = self.bag.dags["webhook_delivery"]
        self.assertEqual(type(dag.timetable).__name__, "AssetTriggeredTimetable")
        (asset,) = dag.schedule
        self.assertIsInstance(asset, Asset)
        self.assertEqual(asset.name, "gpubroker_webhooks")
        self.assertTrue(asset.uri.startswith("kafka://") and asset.uri.endswith("/gpubroker.webhooks"))
        (watcher,) = asset.watchers
        self.assertEqual(type(watcher.trigger).__name__, "MessageQueueTrigger")
        classpath, kwargs = watcher.trigger.serialize()
        self.assertEqual(classpath, "airflow.providers.apache.kafka.triggers.await_message.AwaitMessageTrigger")
        self.assertEqual(kwargs["topics"], ["gpubroker.webhooks"])
        self.assertEqual(kwargs["kafka_config_id"], "gpubroker_kafka")
        self.assertEqual(kwargs["apply_function"], "gpubroker_jobs.kafka.webhook_request")
        self.assertTrue(kwargs["commit_offset"])
        # The triggerer imports the apply function by this name.
        from airflow.providers.common.compat.module_loading import import_string
        from gpubroker_jobs.kafka import webhook_request
        self.assertIs(import_string(kwargs["apply_function"]), webhook_request)

    def test_every_task_retries_with_exponential_backoff(self):
        for dag_id in DAG_IDS:
            # As the scheduler sees them: after serialization.
            dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(self.bag.dags[dag_id]))
            for task in dag.tasks:
                with self.subTest(task=f"{dag_id}.{task.task_id}"):
                    self.assertGreater(task.retries, 0)
                    self.assertEqual(task.retry_exponential_backoff, 2.0)
                    self.assertIsNotNone(task.max_retry_delay)
                    self.assertGreaterEqual(task.max_retry_delay, task.retry_delay)

    def test_webhook_retry_schedule(self):
        dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(self.bag.dags["webhook_delivery"]))
        deliver = dag.get_task("deliver")
        self.assertEqual(deliver.retries + 1, 8)  # 8 tries in all
        self.assertEqual(deliver.retry_delay, timedelta(seconds=30))
        self.assertEqual(deliver.max_retry_delay, timedelta(minutes=30))
        # The waits Airflow computes after each failed try: between 1x and 2x of
        # 30 s * 2^(try-1), capped at 30 minutes.
        ti = TaskInstance(task=deliver, run_id="r", map_index=0, dag_version_id=uuid.uuid4())
        ti.end_date = datetime(2026, 12, 1, tzinfo=timezone.utc)
        waits = []
        for n in range(1, 8):
            ti.try_number = n
            waits.append((ti.next_retry_datetime() - ti.end_date).total_seconds())
            step = 30 * 2 ** (n - 1)
            with self.subTest(after_try=n):
                self.assertGreaterEqual(waits[-1], min(step, 1800))
                self.assertLessEqual(waits[-1], min(2 * step, 1800))
        self.assertLessEqual(sum(waits), 91 * 60)  # the 8th try within about an hour and a half
        self.assertGreaterEqual(sum(waits), 61.5 * 60)
        self.assertEqual(dag.get_task("requests").downstream_task_ids, {"deliver"})


if __name__ == "__main__":
    unittest.main()
