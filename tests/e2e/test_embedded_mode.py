"""`make run`'s embedded default, for real: SQLite, no broker server, web + worker + beat as processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.inventory.demo import ASSETS, DEMO_PASSWORD, STAFF

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def start(var_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "BROKER_URL"}
    env.update(UITLEEN_VAR_DIR=str(var_dir), PORT=str(port), UITLEEN_ENV="development", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "services.embedded.run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_ready(base: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else "exited"
        try:
            if all(http("GET", f"{base}/{s}/readyz")[0] == 200 for s in ("inventory", "booking", "notify")):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise AssertionError("the embedded suite did not become ready")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


def test_make_run_serves_the_demo_and_keeps_data_across_a_restart(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(tmp_path, port)
    try:
        wait_ready(base, process)
        status, _, assets = http("GET", f"{base}/inventory/assets?page_size=50")
        assert status == 200
        assert {a["code"] for a in assets} == {a["code"] for a in ASSETS}
        caravan = next(a for a in assets if a["code"] == "caravan-doorgeefbazaar")
        assert [r["code"] for r in caravan["requirements"]] == ["extra-nummerplaat", "trekhaak"]
        assert caravan["location"]["name"] == "Buurtcentrum Dampoort"
        status, headers, _ = http(
            "POST", f"{base}/inventory/auth/login", {"email": STAFF[0]["email"], "password": DEMO_PASSWORD}
        )
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        status, _, _ = http(
            "POST",
            f"{base}/inventory/requirements",
            {"code": "fietskar", "kind": "confirm", "label_nl": "Fietskar", "label_en": "Bike trailer"},
            headers={"Cookie": cookie, "X-Requested-With": "XMLHttpRequest"},  # a cookie write needs it
        )
        assert status == 201
        assert http("GET", f"{base}/booking/openapi.json")[0] == 200
        with urllib.request.urlopen(f"{base}/", timeout=5) as home:  # the public pages at the root
            assert "Materiaal lenen voor je buurt" in home.read().decode()
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}/" in output
    assert f"http://127.0.0.1:{port}/notify/outbox-mail  (meld je eerst aan als medewerker" in output
    assert "uitleen: stopped" in output

    process = start(tmp_path, port)
    try:
        wait_ready(base, process)
        codes = [r["code"] for r in http("GET", f"{base}/inventory/requirements")[2]]
        assert "fietskar" in codes, "data written before the restart is still there"
        assert len(http("GET", f"{base}/inventory/assets?page_size=50")[2]) == len(ASSETS), "demo loaded once"
    finally:
        stop(process)
    assert process.returncode == 0
