"""The watcher's apply function on real record bytes and on what must be skipped."""

import support  # noqa: F401  (first: the environment)

import json
import unittest

from gpubroker_jobs.kafka import webhook_request

REAL = support.real_request_bytes()
CELL = json.loads(REAL)["cell"]


class Record:
    """What the trigger hands the function: a confluent-kafka Message (value() and position)."""

    def __init__(self, value):
        self._value = value

    def value(self):
        return self._value

    def topic(self):
        return "gpubroker.webhooks"

    def partition(self):
        return 3

    def offset(self):
        return 42


def with_(**changes) -> bytes:
    e = json.loads(REAL)
    for k, v in changes.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return json.dumps(e).encode()


class WebhookRequestTest(unittest.TestCase):
    def test_real_record(self):
        got = webhook_request(Record(REAL))
        self.assertEqual(got, json.loads(REAL))
        self.assertEqual(got["type"], "webhook_request")
        self.assertEqual(got["body"]["id"], got["event_id"])  # the delivery id
        json.dumps(got)  # the asset event's payload is stored as JSON

    def test_raw_bytes_and_str(self):
        self.assertEqual(webhook_request(REAL), json.loads(REAL))
        self.assertEqual(webhook_request(REAL.decode()), json.loads(REAL))
        self.assertEqual(webhook_request(memoryview(REAL)), json.loads(REAL))

    def test_this_cell_only(self):
        self.assertEqual(webhook_request(Record(REAL), cell=CELL), json.loads(REAL))
        self.assertIsNone(webhook_request(Record(REAL), cell="another-cell"))
        self.assertIsNone(webhook_request(Record(with_(cell=None)), cell=CELL))

    def test_skipped(self):
        cases = {
            "tombstone": None,
            "empty": b"",
            "garbage bytes": b"\xff\xfe\x00\x81garbage",
            "truncated": REAL[: len(REAL) // 2],
            "not JSON": b"hello, kafka",
            "a JSON array": b'[{"type": "webhook_request"}]',
            "a JSON string": b'"webhook_request"',
            "a JSON number": b"42",
            "another kind": with_(type="price_update"),
            "no type": with_(type=None),
            "no event id": with_(event_id=None),
            "empty event id": with_(event_id=""),
            "event id not a string": with_(event_id=7),
            "event id too long": with_(event_id="x" * 129),
            "no webhook id": with_(webhook_id=None),
            "no body": with_(body=None),
            "body not an object": with_(body="{}"),
            "not a bytes or str value": 12345,
        }
        for name, value in cases.items():
            with self.subTest(name):
                self.assertIsNone(webhook_request(Record(value)))

    def test_a_price_update_record(self):
        price_update = (b'{"event_id":"01a23c1e-7f3a-7b2e-9c41-5d6f0a1b2c3d","type":"price_update","cell":"local",'
                        b'"timestamp":"2026-12-03T10:04:05.123Z","provider":"runpod","offer_id":"runpod:x","gpu":"g",'
                        b'"region":"us-east","old_price":2.99,"new_price":2.69,"change_percent":-10.0334,"currency":"USD"}')
        self.assertIsNone(webhook_request(Record(price_update)))


if __name__ == "__main__":
    unittest.main()
