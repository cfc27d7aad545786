"""Submits the Flink SQL jobs of flink/sql/ (docs/analytics.md) as one job to a
local MiniCluster and keeps it running until SIGTERM or SIGINT, then stops
it (with a savepoint the next start restores) and exits 0. flink/run-local
installs PyFlink and the Kafka connector and runs this with the venv's
Python.

    submit.py                    run (KAFKA_BROKERS and the FLINK_* variables, see run-local)
    submit.py --print-sql        print the substituted script for a Flink cluster's
                                 sql-client.sh -f: SET statements, the DDL and one
                                 EXECUTE STATEMENT SET with the three INSERTs
    submit.py --gateway URL      submit that script through a Flink SQL Gateway's
                                 REST API (http://host:8083) and print the job id
    --add-jar PATH               with either: begin with ADD JAR 'PATH' (the Kafka
                                 connector, when it is not in the cluster's lib/)

Any Python 3 runs --print-sql and --gateway; they need no PyFlink.
"""

import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
SQL_DIR = os.environ.get("FLINK_SQL_DIR", os.path.join(HERE, "sql"))
# source.sql first: the input table and the view the jobs share.
SQL_FILES = ["source.sql", "price_change_detector.sql", "anomaly_detector.sql", "realtime_aggregator.sql"]

DEFAULTS = {
    "INPUT_TOPIC": ("FLINK_INPUT_TOPIC", "gpubroker.price-updates"),
    "ALERTS_TOPIC": ("FLINK_ALERTS_TOPIC", "gpubroker.price-alerts"),
    "ANOMALIES_TOPIC": ("FLINK_ANOMALIES_TOPIC", "gpubroker.price-anomalies"),
    "AGGREGATES_TOPIC": ("FLINK_AGGREGATES_TOPIC", "gpubroker.price-aggregates"),
    "GROUP_ID": ("FLINK_GROUP_ID", "gpubroker-flink"),
}


def log(msg):
    print("submit.py: " + msg, file=sys.stderr, flush=True)


def placeholders():
    brokers = os.environ.get("KAFKA_BROKERS", "")
    if not brokers:
        log("KAFKA_BROKERS is not set")
        sys.exit(2)
    values = {"KAFKA_BROKERS": brokers}
    for name, (env, default) in DEFAULTS.items():
        values[name] = os.environ.get(env) or default
    return values


def config(values):
    """The job's configuration: the keys docs/analytics.md relies on."""
    return {
        # DATE_FORMAT, window alignment and TIMESTAMP_LTZ are in UTC.
        "table.local-time-zone": "UTC",
        # A Kafka partition with no records for 1 s does not hold the
        # watermark back (pushed into the source's per-partition watermarks).
        "table.exec.source.idle-timeout": "1 s",
        # The Kafka source commits the group's offsets on every checkpoint.
        "execution.checkpointing.interval": os.environ.get("FLINK_CHECKPOINT_INTERVAL", "5 s"),
        "parallelism.default": os.environ.get("FLINK_PARALLELISM", "1"),
        "pipeline.name": "gpubroker-analytics (" + values["INPUT_TOPIC"] + ")",
    }


def statements(values):
    """The statements of the SQL files, placeholders substituted, in order."""
    out = []
    for name in SQL_FILES:
        with open(os.path.join(SQL_DIR, name), encoding="utf-8") as f:
            text = f.read()
        # Whole-line comments only; no statement has '--' inside a literal.
        text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))

        def subst(m):
            key = m.group(1)
            if key not in values:
                log("%s: unknown placeholder ${%s}" % (name, key))
                sys.exit(2)
            return values[key]

        text = re.sub(r"\$\{([A-Z_]+)\}", subst, text)
        # A statement ends with ';' at the end of a line.
        for stmt in re.split(r";[ \t]*(?:\n|$)", text):
            stmt = stmt.strip()
            if stmt:
                out.append(stmt)
    return out


def script(values, add_jar=None):
    """The job as statements for a Flink cluster: SETs, the DDL, and one
    EXECUTE STATEMENT SET (one job, one consumer group)."""
    out = ["ADD JAR '%s'" % add_jar] if add_jar else []
    out += ["SET '%s' = '%s'" % kv for kv in config(values).items()]
    inserts = []
    for stmt in statements(values):
        (inserts if stmt.upper().startswith("INSERT") else out).append(stmt)
    out.append("EXECUTE STATEMENT SET\nBEGIN\n" + ";\n".join(inserts) + ";\nEND")
    return out


def submit_gateway(url, stmts):
    """Runs stmts in one SQL Gateway session (REST API v1+); returns the job id."""
    import json
    import time
    import urllib.request

    def call(method, path, body=None):
        req = urllib.request.Request(url.rstrip("/") + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"{}")

    session = call("POST", "/v1/sessions", {"sessionName": "gpubroker-analytics"})["sessionHandle"]
    job_id = None
    for stmt in stmts:
        op = call("POST", "/v1/sessions/%s/statements" % session, {"statement": stmt})["operationHandle"]
        base = "/v1/sessions/%s/operations/%s" % (session, op)
        while True:
            status = call("GET", base + "/status")["status"]
            if status == "ERROR":
                res = call("GET", base + "/result/0")  # carries the error
                raise RuntimeError("%s\n-> %s" % (stmt.splitlines()[0], json.dumps(res)[:2000]))
            if status == "FINISHED":
                break
            time.sleep(0.5)
        res = call("GET", base + "/result/0")
        if res.get("jobID"):
            job_id = res["jobID"]
    call("DELETE", "/v1/sessions/%s" % session)
    return job_id


def patch_gateway():
    """Starts PyFlink's gateway JVM (the MiniCluster) in its own session, so a
    signal to our process group reaches only us and we stop the job before
    the JVM goes; has the kernel kill the JVM when we die (Linux), so a
    killed runner leaves no job behind; and drains the JVM's stderr, which
    PyFlink pipes but never reads."""
    import pyflink.pyflink_gateway_server as gws

    real_popen = gws.Popen

    def popen(*args, **kwargs):
        inner = kwargs.get("preexec_fn")

        def preexec():
            if inner:
                inner()
            try:
                import ctypes

                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            except Exception:
                pass

        kwargs["preexec_fn"] = preexec
        kwargs["start_new_session"] = True
        p = real_popen(*args, **kwargs)

        def drain():
            for line in iter(p.stderr.readline, b""):
                sys.stderr.write(line.decode("utf-8", "replace"))
                sys.stderr.flush()

        threading.Thread(target=drain, daemon=True).start()
        return p

    gws.Popen = popen


class State:
    """The job's state between runs, under FLINK_SAVEPOINT_DIR/<group id>-<hash
    of the SQL and settings>/ (so a different SQL, topic or group never
    restores another's): the savepoint a stop leaves (savepoint-*/) and the
    last checkpoint of a run that was killed (checkpoints/<job>/chk-*/, every
    5 s, retained). A start restores the newest of them. FLINK_SAVEPOINTS=0
    turns this off: a start then resumes from the group's committed offsets
    with empty windows."""

    def __init__(self, values, stmts):
        base = os.environ.get("FLINK_SAVEPOINT_DIR", "")
        self.enabled = os.environ.get("FLINK_SAVEPOINTS", "1") != "0" and base != ""
        h = hashlib.sha256("\n".join(stmts + sorted("%s=%s" % kv for kv in config(values).items())).encode())
        group = re.sub(r"[^A-Za-z0-9._-]", "_", values["GROUP_ID"])
        self.dir = os.path.abspath(os.path.join(base, "%s-%s" % (group, h.hexdigest()[:12])))
        self.checkpoints = os.path.join(self.dir, "checkpoints")

    def settings(self):
        if not self.enabled:
            return {}
        return {
            "execution.checkpointing.dir": "file://" + self.checkpoints,
            "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
            "execution.checkpointing.num-retained": "1",
        }

    def snapshots(self):
        """Complete savepoints and checkpoints, newest first."""
        found = []
        for pattern in ("savepoint-*", os.path.join("checkpoints", "*", "chk-*")):
            for d in glob.glob(os.path.join(self.dir, pattern)):
                meta = os.path.join(d, "_metadata")
                if os.path.isfile(meta):
                    found.append((os.path.getmtime(meta), d))
        return [d for _, d in sorted(found, reverse=True)]

    def latest(self):
        snaps = self.snapshots() if self.enabled else []
        return snaps[0] if snaps else None

    def forget(self, path):
        shutil.rmtree(path, ignore_errors=True)

    def stop(self, client, job_id):
        """Stops the job with a savepoint (the watermark is not advanced, so
        no open window fires) and drops every older snapshot; True when it
        did."""
        if not self.enabled:
            return False
        from pyflink.java_gateway import get_gateway

        # PyFlink's stop_with_savepoint calls a two-argument Java method that
        # Flink 2 no longer has; call the one with the format type.
        canonical = get_gateway().jvm.org.apache.flink.core.execution.SavepointFormatType.CANONICAL
        path = wait(lambda: client._j_job_client.stopWithSavepoint(False, "file://" + self.dir, canonical).get(), 120)
        if not path:
            return False
        keep = os.path.abspath(str(path)[len("file:"):] if str(path).startswith("file:") else str(path))
        for d in self.snapshots():
            if os.path.abspath(d) != keep:
                shutil.rmtree(d, ignore_errors=True)
        log("job %s stopped with savepoint %s" % (job_id, path))
        return True


def wait(fn, seconds):
    """fn() in a thread; its result, or None when it failed or took longer."""
    box = []

    def run():
        try:
            box.append(fn())
        except Exception as e:
            log(str(e).splitlines()[0] if str(e) else repr(e))

    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(seconds)
    return box[0] if box else None


def submit(values, stmts, settings, restore):
    from pyflink.table import EnvironmentSettings, TableEnvironment

    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    conf = t_env.get_config()
    conf.set("pipeline.jars", "file://" + os.path.abspath(os.environ["FLINK_CONNECTOR_JAR"]))
    for k, v in list(config(values).items()) + list(settings.items()):
        conf.set(k, v)
    if restore:
        conf.set("execution.state-recovery.path", restore)
    if os.environ.get("FLINK_REST_PORT"):
        # The MiniCluster's REST API on a known port, for the cell's /health
        # (GPUBROKER_FLINK_REST_URL); otherwise it takes a free one.
        conf.set("rest.bind-port", os.environ["FLINK_REST_PORT"])
        conf.set("rest.port", os.environ["FLINK_REST_PORT"])
    stmt_set = t_env.create_statement_set()
    for stmt in stmts:
        if stmt.upper().startswith("INSERT"):
            stmt_set.add_insert_sql(stmt)
        else:
            t_env.execute_sql(stmt)
    return stmt_set.execute().get_job_client()


def main():
    values = placeholders()
    args = sys.argv[1:]
    add_jar = args[args.index("--add-jar") + 1] if "--add-jar" in args else None
    if "--print-sql" in args:
        print(";\n\n".join(script(values, add_jar)) + ";")
        return 0
    if "--gateway" in args:
        job_id = submit_gateway(args[args.index("--gateway") + 1], script(values, add_jar))
        print("flink jobs running: %s" % job_id, flush=True)
        return 0
    jar = os.environ.get("FLINK_CONNECTOR_JAR", "")
    if not jar or not os.path.isfile(jar):
        log("FLINK_CONNECTOR_JAR does not name the Kafka connector jar (run flink/run-local)")
        return 2

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    patch_gateway()
    stmts = statements(values)
    state = State(values, stmts)
    restore = state.latest()
    try:
        if restore:
            log("restoring from " + restore)
        client = submit(values, stmts, state.settings(), restore)
    except Exception as e:
        if not restore:
            raise
        log("restoring from %s failed, starting without it: %s" % (restore, str(e).splitlines()[0]))
        state.forget(restore)
        client = submit(values, stmts, state.settings(), None)
    job_id = str(client.get_job_id())
    print("flink jobs running: " + job_id, flush=True)
    log("input %s, group %s; outputs %s, %s, %s" % (values["INPUT_TOPIC"], values["GROUP_ID"],
        values["ALERTS_TOPIC"], values["ANOMALIES_TOPIC"], values["AGGREGATES_TOPIC"]))

    # Wait for a signal; a job that ends by itself (it failed for good) ends
    # us with an error.
    while not stop.wait(2):
        status = wait(lambda: str(client.get_job_status().result()), 60)
        if status is None:
            log("job %s: cannot read its status" % job_id)
            return 1
        if status in ("FAILED", "CANCELED", "FINISHED"):
            log("job %s ended by itself: %s" % (job_id, status))
            return 1

    log("stopping job " + job_id)
    if not state.stop(client, job_id):
        if state.enabled:
            log("no savepoint; cancelling job %s (the next start resumes from the committed offsets)" % job_id)
        if wait(lambda: client.cancel().result() or True, 30) is None:
            log("job %s did not cancel within 30 s; exiting anyway" % job_id)
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
