"""`make serve` (spro serve): the Dagster webserver on 127.0.0.1 and the daemon that fires the
schedules and the inbox sensor, started for real, seen healthy, then stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

DAEMON_QUERY = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"
SCHEDULES_QUERY = """{ repositoriesOrError { ... on RepositoryConnection { nodes {
  schedules { name cronSchedule } sensors { name } } } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


def _wait_for(predicate, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError as error:  # not listening yet
            last_error = error
        time.sleep(1)
    tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
    raise AssertionError(f"{what} not reached in {timeout:.0f} s (last error: {last_error})\n{tail}")


@pytest.fixture()
def served(tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "SPRO_WAREHOUSE_DIR": str(tmp_path / "warehouse"), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    # The server's output goes to a file, not a pipe: a pipe nobody reads until the end would block
    # a server that logs more than the pipe holds (64 KB) while the test waits for it.
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "serve", "--port", str(port)], env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process, port, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_serve_runs_the_ui_and_the_daemon_then_stops_cleanly(served):
    process, port, log = served
    repositories = _wait_for(lambda: _graphql(port, SCHEDULES_QUERY)["repositoriesOrError"]["nodes"], 180,
                             "the webserver answering", log)
    schedules = {s["name"]: s["cronSchedule"] for r in repositories for s in r["schedules"]}
    sensors = {s["name"] for r in repositories for s in r["sensors"]}
    assert {"monthly_region_extract", "yearly_region_extract"} <= set(schedules)
    assert {"inbox_sensor", "build_after_ingestion"} <= sensors

    def daemons_healthy():
        statuses = _graphql(port, DAEMON_QUERY)["instance"]["daemonHealth"]["allDaemonStatuses"]
        healthy = {s["daemonType"] for s in statuses if s["healthy"]}
        return {"SCHEDULER", "SENSOR"} <= healthy

    _wait_for(daemons_healthy, 180, "the scheduler and sensor daemons reporting healthy", log)

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    output = log.read_text(errors="replace")
    assert process.returncode == 0, output[-2000:]
    assert "Serveur arrêté." in output
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the webserver still listens after the stop"

    # The code servers the webserver and the daemon spawned leave on their own within seconds.
    def session_empty():
        return not subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True).stdout.split()

    _wait_for(session_empty, 30, "every process of the served session gone")
