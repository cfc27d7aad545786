"""The gateway's job routes over HTTP (docs/jobs.md), with the standard library only.

Where the gateway is and the service token (scope ``jobs:run``) to call it
with come from the environment, ``GPUBROKER_URL`` and ``GPUBROKER_TOKEN``,
or else from the Airflow connection ``gpubroker`` (host: the base URL, e.g.
``http://gateway:8080``; password: the token). The environment wins, value
by value.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

CONN_ID = "gpubroker"

# The gateway bounds one job run to 2 minutes; a call waits a little longer
# for the answer (GPUBROKER_JOB_TIMEOUT, seconds).
DEFAULT_TIMEOUT = 150.0


class GatewayError(Exception):
    """A job call that did not succeed: retryable unless said otherwise.

    ``status`` is the HTTP status, 0 when no answer came (refused, timed
    out); ``body`` the decoded answer.
    """

    def __init__(self, job: str, status: int, body: Any, message: str | None = None):
        self.job, self.status, self.body = job, status, body
        super().__init__(message or f"{job}: {describe(status, body)}")


@dataclass
class Response:
    status: int  # 0: no answer
    body: Any = field(default_factory=dict)

    @property
    def error(self) -> str:
        """The error the answer names, if any (job or attempt error, or the API error's message)."""
        b = self.body
        if not isinstance(b, dict):
            return ""
        err = b.get("error")
        if isinstance(err, dict):  # the API's {"error": {"code", "message"}}
            return str(err.get("message") or err.get("code") or "")
        return str(err or "")


def describe(status: int, body: Any) -> str:
    r = Response(status, body)
    what = f"HTTP {status}" if status else "no answer"
    return f"{what}: {r.error}" if r.error else what


@dataclass
class Gateway:
    url: str
    token: str
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls) -> "Gateway":
        """The gateway from GPUBROKER_URL / GPUBROKER_TOKEN, else the ``gpubroker`` connection."""
        url = os.environ.get("GPUBROKER_URL", "").strip()
        token = os.environ.get("GPUBROKER_TOKEN", "").strip()
        if not url or not token:
            conn_url, conn_token = _from_connection()
            url, token = url or conn_url, token or conn_token
        if not url:
            raise GatewayError("config", 0, {}, "the gateway is not configured: set GPUBROKER_URL "
                               f"(or the Airflow connection {CONN_ID!r})")
        if not token:
            raise GatewayError("config", 0, {}, "no service token: set GPUBROKER_TOKEN "
                               f"(or the password of the Airflow connection {CONN_ID!r})")
        try:
            from airflow.sdk.log import mask_secret

            mask_secret(token)
        except Exception:  # outside a task (unit tests): nothing to mask
            pass
        timeout = float(os.environ.get("GPUBROKER_JOB_TIMEOUT", "") or DEFAULT_TIMEOUT)
        return cls(url=url.rstrip("/"), token=token, timeout=timeout)

    def post(self, job: str, body: dict | None = None) -> Response:
        """POST /api/v2/jobs/<job>; never raises for HTTP or network errors (status 0: no answer)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/api/v2/jobs/{job}", data=data, method="POST")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return Response(resp.status, _decode(resp.read()))
        except urllib.error.HTTPError as e:
            return Response(e.code, _decode(e.read()))
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            return Response(0, {"error": f"gateway unreachable: {reason}"})

    def run(self, job: str) -> Any:
        """Run a body-less job (cache_warm, provider_health, data_sync): its result, or GatewayError."""
        r = self.post(job)
        if r.status != 200:
            raise GatewayError(job, r.status, r.body)
        return r.body.get("result") if isinstance(r.body, dict) else None


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {"error": raw[:200].decode("utf-8", "replace")}


def _from_connection() -> tuple[str, str]:
    try:
        from airflow.sdk import BaseHook

        c = BaseHook.get_connection(CONN_ID)
    except Exception:  # no such connection, or not inside Airflow
        return "", ""
    host = (c.host or "").strip()
    if host and "://" not in host:
        host = f"{c.schema or 'http'}://{host}"
    if host and c.port:
        host = f"{host}:{c.port}"
    return host, (c.password or "").strip()
