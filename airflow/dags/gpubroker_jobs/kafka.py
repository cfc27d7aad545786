"""The webhook_delivery DAG's Kafka side: the apply function the triggerer runs.

Every record of ``gpubroker.webhooks`` is one ``webhook_request`` event as
the cell's bridge writes it (docs/events.md): a JSON object with the
envelope (``event_id``, ``type``, ``cell``, ``timestamp``) and
``webhook_id``, ``user_id``, ``event``, ``source_id`` and ``body``.
``webhook_request`` returns that object, which becomes the asset event's
payload, or None for a record to skip (the trigger commits past it and
polls on).
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)

TYPE = "webhook_request"
# The gateway takes event ids of at most 128 bytes (the bridge's rule).
MAX_ID = 128


def webhook_request(message: Any, cell: str | None = None) -> dict | None:
    """The webhook_request event in ``message``, or None.

    ``message`` is the raw record: a confluent-kafka ``Message`` (its
    ``value()`` is used) or the value itself (bytes or str). None is
    returned for a tombstone, bytes that are not UTF-8 JSON, JSON that is
    not an object, an object of another type, one missing the event id,
    webhook id or body, and, when ``cell`` is given, a request made by
    another cell (every cell's bridge writes to the same topic).
    """
    value = message.value() if callable(getattr(message, "value", None)) else message
    if value is None:
        return None
    try:
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value).decode("utf-8")
        if not isinstance(value, str):
            return None
        event = json.loads(value)
    except (UnicodeDecodeError, ValueError):
        log.warning("skipping a record that is not UTF-8 JSON (%s)", _where(message))
        return None
    if not isinstance(event, dict) or event.get("type") != TYPE:
        log.info("skipping a record that is not a %s (%s)", TYPE, _where(message))
        return None
    for k in ("event_id", "webhook_id"):
        v = event.get(k)
        if not isinstance(v, str) or not v or len(v.encode()) > MAX_ID:
            log.warning("skipping a %s without a valid %s (%s)", TYPE, k, _where(message))
            return None
    if not isinstance(event.get("body"), dict):
        log.warning("skipping %s %s: no body object", TYPE, event["event_id"])
        return None
    if cell and event.get("cell") != cell:
        return None  # another cell's request; its own Airflow delivers it
    return event


def _where(message: Any) -> str:
    try:
        return f"{message.topic()}[{message.partition()}]@{message.offset()}"
    except Exception:
        return "record"
