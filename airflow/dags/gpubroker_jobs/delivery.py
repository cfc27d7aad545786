"""One webhook_delivery attempt through the gateway, and the dead letter after the last.

The gateway makes the attempt (signed POST, address checks, the delivery
record) and answers (docs/jobs.md):

- 200: the request is done (``outcome`` delivered, gone, webhook_deleted,
  webhook_disabled): nothing more to do;
- 502: the attempt failed (``retry: true``), 503: it could not be attempted
  (the store is away, or the job does not run there): try again after a
  backoff. No answer at all (gateway down, timeout) is the same;
- 400: the request is malformed: no attempt will ever succeed.

``deliver`` raises ``RetryDelivery`` for the retryable answers so that
Airflow retries the task with its exponential backoff; on the task's last
try it stores the dead letter (``webhook_dead`` with the last status and
error) first and then fails the task for good.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .gateway import Gateway, Response, describe

log = logging.getLogger(__name__)

# 8 attempts in all, as the embedded deliverer makes (docs/accounts.md).
TRIES = 8


class RetryDelivery(Exception):
    """This attempt failed; Airflow tries again after its backoff."""


class DeliveryFailed(Exception):
    """No more tries: the request failed for good (dead-lettered unless malformed)."""


def attempt_of(try_number: int, max_tries: int, retries: int) -> tuple[int, bool]:
    """The attempt a task try makes (1..8) and whether it is the last one.

    Airflow counts tries on from a task cleared by hand (``max_tries`` then
    grows by ``retries``); the attempt counts within the current series, so
    a cleared delivery starts its schedule again.
    """
    max_tries = max(max_tries or 0, retries)
    return try_number - (max_tries - retries), try_number > max_tries


def deliver(gw: Gateway, request: dict, attempt: int, last: bool) -> dict:
    """Make attempt ``attempt`` of ``request``; ``last``: no try comes after this one."""
    r = gw.post("webhook_delivery", {"request": request, "attempt": attempt})
    ident = f"delivery {request.get('event_id')} (webhook {request.get('webhook_id')}), attempt {attempt}"
    if r.status == 200:
        log.info("%s: %s", ident, r.body.get("outcome") if isinstance(r.body, dict) else r.body)
        return r.body if isinstance(r.body, dict) else {}
    if r.status == 400:
        raise DeliveryFailed(f"{ident}: the gateway refused the request ({describe(r.status, r.body)}); not retried")
    status, error = last_outcome(r)
    if not last:
        raise RetryDelivery(f"{ident} failed: {describe(r.status, r.body)}; retrying after the backoff")
    dead_letter(gw, request, attempt, status, error)
    raise DeliveryFailed(f"{ident} was the last: {describe(r.status, r.body)}; dead-lettered")


def last_outcome(r: Response) -> tuple[int, str]:
    """The receiver's status (0: no answer) and the error, as webhook_dead records them."""
    b = r.body if isinstance(r.body, dict) else {}
    if r.status == 502 or (r.status == 503 and "outcome" in b):  # the attempt's own body
        return int(b.get("status") or 0), str(b.get("error") or b.get("outcome") or f"HTTP {r.status}")
    return 0, r.error or describe(r.status, r.body)


def dead_letter(gw: Gateway, request: dict, attempt: int, status: int, error: str, tries: int = 3) -> dict:
    """Store the dead letter (idempotent on the gateway: one per delivery); a few quick tries."""
    body = {"request": request, "attempt": attempt, "status": status, "error": error}
    r = Response(0)
    for i in range(tries):
        r = gw.post("webhook_dead", body)
        if r.status == 200:
            log.warning("delivery %s dead-lettered after attempt %d (last status %d: %s)",
                        request.get("event_id"), attempt, status, error)
            return r.body if isinstance(r.body, dict) else {}
        if r.status == 400:
            break
        time.sleep(2 ** i)
    raise DeliveryFailed(f"delivery {request.get('event_id')}: the dead letter was not stored: "
                         f"{describe(r.status, r.body)}")


def requests_from(asset_events: Any, conf: Any) -> list[dict]:
    """The webhook_requests a run carries: its triggering asset events' payloads (or, for a run
    triggered by hand, ``conf`` ``{"request": {...}}`` or ``{"requests": [...]}``), each once."""
    out: list[dict] = []
    for events in (asset_events or {}).values():
        for e in events:
            payload = (getattr(e, "extra", None) or {}).get("payload")
            if isinstance(payload, dict):
                out.append(payload)
    if isinstance(conf, dict):
        if isinstance(conf.get("request"), dict):
            out.append(conf["request"])
        out.extend(r for r in conf.get("requests") or [] if isinstance(r, dict))
    seen: set[str] = set()
    unique = []
    for r in out:
        key = str(r.get("event_id"))
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return unique
