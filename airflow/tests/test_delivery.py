"""The job calls against a fake gateway: one delivery attempt, retries, the dead letter, the
periodic jobs and where the gateway's address and token come from."""

import support  # noqa: F401  (first: the environment)

import json
import os
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from unittest import mock

from gpubroker_jobs import delivery
from gpubroker_jobs.common import run_job
from gpubroker_jobs.gateway import Gateway, GatewayError

REQUEST = json.loads(support.real_request_bytes())
TOKEN = "eyJ.test-service-token"


class FakeGateway:
    """Answers POST /api/v2/jobs/<job> with the scripted (status, body) per job, recording each call."""

    def __init__(self):
        self.answers: dict[str, list[tuple[int, object]]] = {}
        self.calls: list[tuple[str, str, object]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                job = self.path.rsplit("/", 1)[-1]
                fake.calls.append((job, self.headers.get("Authorization"), json.loads(raw) if raw else None))
                script = fake.answers.get(job) or [(404, {"error": {"code": "not_found", "message": "no route"}})]
                status, body = script.pop(0) if len(script) > 1 else script[0]
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def jobs(self):
        return [c[0] for c in self.calls]


def attempt_body(outcome, status=0, error="", retry=False, attempt=1):
    b = {"outcome": outcome, "attempt": attempt, "retry": retry}
    if status:
        b["status"] = status
    if error:
        b["error"] = error
    return b


class GatewayCase(unittest.TestCase):
    def setUp(self):
        self.gw_server = FakeGateway()
        self.addCleanup(self.gw_server.close)
        self.gw = Gateway(url=self.gw_server.url, token=TOKEN, timeout=5)


class DeliverTest(GatewayCase):
    def test_delivered(self):
        self.gw_server.answers["webhook_delivery"] = [(200, attempt_body("delivered", 200, attempt=3))]
        got = delivery.deliver(self.gw, REQUEST, 3, last=False)
        self.assertEqual(got["outcome"], "delivered")
        (job, auth, body), = self.gw_server.calls
        self.assertEqual((job, auth), ("webhook_delivery", "Bearer " + TOKEN))
        self.assertEqual(body, {"request": REQUEST, "attempt": 3})

    def test_nothing_to_deliver_to_is_done(self):
        for outcome in ("gone", "webhook_deleted", "webhook_disabled"):
            self.gw_server.answers["webhook_delivery"] = [(200, attempt_body(outcome))]
            self.assertEqual(delivery.deliver(self.gw, REQUEST, 1, last=True)["outcome"], outcome)
        self.assertNotIn("webhook_dead", self.gw_server.jobs())

    def test_failed_attempts_are_retried(self):
        for status, body in [(502, attempt_body("failed", 500, "webhook: receiver answered 500", True)),
                             (503, attempt_body("store_unavailable", 0, "store: unreachable", True)),
                             (503, {"error": {"code": "job_unavailable", "message": "not here"}})]:
            self.gw_server.answers["webhook_delivery"] = [(status, body)]
            with self.subTest(status=status), self.assertRaises(delivery.RetryDelivery):
                delivery.deliver(self.gw, REQUEST, 2, last=False)
        self.assertNotIn("webhook_dead", self.gw_server.jobs())

    def test_the_last_failed_attempt_is_dead_lettered(self):
        self.gw_server.answers["webhook_delivery"] = [(502, attempt_body("failed", 500, "webhook: receiver answered 500",
                                                                         True, attempt=8))]
        self.gw_server.answers["webhook_dead"] = [(200, {"dead_lettered": REQUEST["event_id"]})]
        with self.assertRaises(delivery.DeliveryFailed) as e:
            delivery.deliver(self.gw, REQUEST, 8, last=True)
        self.assertIn("dead-lettered", str(e.exception))
        self.assertEqual(self.gw_server.jobs(), ["webhook_delivery", "webhook_dead"])
        self.assertEqual(self.gw_server.calls[1][2], {"request": REQUEST, "attempt": 8, "status": 500,
                                                      "error": "webhook: receiver answered 500"})

    def test_the_last_attempt_without_an_answer_is_dead_lettered(self):
        self.gw_server.answers["webhook_delivery"] = [(503, attempt_body("store_unavailable", 0, "store: away", True))]
        self.gw_server.answers["webhook_dead"] = [(200, {})]
        with self.assertRaises(delivery.DeliveryFailed):
            delivery.deliver(self.gw, REQUEST, 8, last=True)
        self.assertEqual(self.gw_server.calls[1][2], {"request": REQUEST, "attempt": 8, "status": 0,
                                                      "error": "store: away"})

    def test_a_dead_letter_the_gateway_cannot_take_fails_loudly(self):
        self.gw_server.answers["webhook_delivery"] = [(502, attempt_body("failed", 404, "HTTP 404", True))]
        self.gw_server.answers["webhook_dead"] = [(503, {"error": {"code": "job_unavailable", "message": "stream away"}})]
        with mock.patch.object(delivery.time, "sleep"), self.assertRaises(delivery.DeliveryFailed) as e:
            delivery.deliver(self.gw, REQUEST, 8, last=True)
        self.assertIn("not stored", str(e.exception))
        self.assertEqual(self.gw_server.jobs(), ["webhook_delivery"] + ["webhook_dead"] * 3)

    def test_a_gateway_that_does_not_answer(self):
        gw = Gateway(url="http://127.0.0.1:9", token=TOKEN, timeout=2)  # discard: refused
        with self.assertRaises(delivery.RetryDelivery):
            delivery.deliver(gw, REQUEST, 1, last=False)
        with mock.patch.object(delivery.time, "sleep"), self.assertRaises(delivery.DeliveryFailed):
            delivery.deliver(gw, REQUEST, 8, last=True)

    def test_a_refused_request_is_not_retried(self):
        self.gw_server.answers["webhook_delivery"] = [(400, {"error": {"code": "invalid_parameter",
                                                                       "message": "request: must be a webhook_request"}})]
        with self.assertRaises(delivery.DeliveryFailed) as e:
            delivery.deliver(self.gw, REQUEST, 1, last=False)
        self.assertIn("not retried", str(e.exception))
        self.assertNotIn("webhook_dead", self.gw_server.jobs())


class AttemptTest(unittest.TestCase):
    def test_attempts(self):
        self.assertEqual(delivery.attempt_of(1, 7, 7), (1, False))
        self.assertEqual(delivery.attempt_of(7, 7, 7), (7, False))
        self.assertEqual(delivery.attempt_of(8, 7, 7), (8, True))
        # A delivery cleared by hand after its 8 tries: max_tries grew by 7.
        self.assertEqual(delivery.attempt_of(9, 15, 7), (1, False))
        self.assertEqual(delivery.attempt_of(16, 15, 7), (8, True))
        # A context without max_tries: the task's retries decide.
        self.assertEqual(delivery.attempt_of(8, 0, 7), (8, True))


class RequestsFromTest(unittest.TestCase):
    def test_asset_events_and_conf(self):
        other = dict(REQUEST, event_id="01a23f26-0000-7000-8000-000000000002")
        events = {"gpubroker_webhooks": [SimpleNamespace(extra={"from_trigger": True, "payload": REQUEST}),
                                         SimpleNamespace(extra={"from_trigger": True, "payload": REQUEST}),  # a duplicate
                                         SimpleNamespace(extra={"from_trigger": True, "payload": other}),
                                         SimpleNamespace(extra={})]}
        self.assertEqual(delivery.requests_from(events, None), [REQUEST, other])
        self.assertEqual(delivery.requests_from({}, {"request": REQUEST}), [REQUEST])
        self.assertEqual(delivery.requests_from(None, {"requests": [REQUEST, other, "junk"]}), [REQUEST, other])
        self.assertEqual(delivery.requests_from(None, {}), [])


class PeriodicJobsTest(GatewayCase):
    def env(self):
        return mock.patch.dict(os.environ, {"GPUBROKER_URL": self.gw_server.url + "/", "GPUBROKER_TOKEN": TOKEN})

    def test_result_on_200(self):
        self.gw_server.answers["data_sync"] = [(200, {"job": "data_sync", "result": {"providers_ok": 2, "offers": 321}})]
        with self.env():
            self.assertEqual(run_job("data_sync"), {"providers_ok": 2, "offers": 321})
        self.assertEqual(self.gw_server.calls, [("data_sync", "Bearer " + TOKEN, None)])

    def test_anything_else_raises(self):
        for status, body in [(502, {"job": "data_sync", "error": "every provider failed", "result": {}}),
                             (503, {"error": {"code": "job_unavailable", "message": "not in this process"}}),
                             (403, {"error": {"code": "insufficient_scope", "message": "jobs:run"}}),
                             (500, b"<html>proxy error</html>")]:
            self.gw_server.answers["data_sync"] = [(status, body)]
            with self.subTest(status=status), self.env(), self.assertRaises(GatewayError) as e:
                run_job("data_sync")
            self.assertEqual(e.exception.status, status)

    def test_configuration(self):
        with mock.patch.dict(os.environ, {"GPUBROKER_URL": "http://gw:8080/", "GPUBROKER_TOKEN": TOKEN}):
            gw = Gateway.from_env()
            self.assertEqual((gw.url, gw.token), ("http://gw:8080", TOKEN))
        with mock.patch.dict(os.environ, {"GPUBROKER_URL": "http://gw:8080"}), self.assertRaises(GatewayError) as e:
            Gateway.from_env()  # no token, no connection
        self.assertIn("GPUBROKER_TOKEN", str(e.exception))
        with self.assertRaises(GatewayError) as e:
            Gateway.from_env()
        self.assertIn("GPUBROKER_URL", str(e.exception))

    def test_the_connection_fills_in(self):
        conn = '{"conn_type": "http", "host": "gw.internal", "port": 8443, "schema": "https", "password": "conn-token"}'
        with mock.patch.dict(os.environ, {"AIRFLOW_CONN_GPUBROKER": conn}):
            gw = Gateway.from_env()
            self.assertEqual((gw.url, gw.token), ("https://gw.internal:8443", "conn-token"))
            with mock.patch.dict(os.environ, {"GPUBROKER_TOKEN": TOKEN}):
                self.assertEqual(Gateway.from_env().token, TOKEN)  # the environment wins


if __name__ == "__main__":
    unittest.main()
