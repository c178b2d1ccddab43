"""Real processes for end-to-end and fault tests: our own Redis, gunicorn, celery worker and beat, the relay.

Each process logs to a file in the test's directory (printed when a wait times out). Every wait has a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import redis

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def wait_until(predicate: Callable[[], object], timeout: float, what: str, logs: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # the thing polled may not be up yet
            pass
        time.sleep(0.1)
    tail = ""
    if logs is not None:
        for log in sorted(logs.glob("*.log")):
            tail += f"\n--- {log.name} ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-25:])
    raise AssertionError(f"timed out after {timeout} s waiting for {what}{tail}")


class OwnRedis:
    """A redis-server on a spare port with an append-only file, so a restart keeps the queued messages."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.workdir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--logfile",
                str(self.workdir / "redis.out"),
            ],
            start_new_session=True,
        )
        client = redis.Redis(port=self.port)
        wait_until(client.ping, 10, "redis to answer")
        client.close()

    def shutdown(self) -> None:
        """What an operator or a crash does: ``redis-cli shutdown nosave`` (the AOF stays)."""
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], timeout=10, check=False)
        if self.process is not None:
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.shutdown()


class Processes:
    """The production processes of notify (and the booking relay), started from the same commands a Procfile uses."""

    def __init__(self, workdir: Path, environ: dict[str, str]) -> None:
        self.workdir = workdir
        self.environ = {**os.environ, **environ, "PYTHONPATH": str(ROOT)}
        self.web_port = free_port()
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = {}
        self.lock = threading.RLock()
        self._supervising = threading.Event()

    def supervise(self) -> None:
        """Restart a process that exits by itself, as systemd (Restart=always) or a Procfile runner does."""
        self._supervising.set()

        def watch() -> None:
            while self._supervising.is_set():
                with self.lock:
                    for name, process in list(self.running.items()):
                        if process.poll() is not None:
                            self.restarts[name] = self.restarts.get(name, 0) + 1
                            del self.running[name]
                            self.start(name, wait=False)
                time.sleep(0.2)

        threading.Thread(target=watch, daemon=True).start()

    def commands(self) -> dict[str, list[str]]:
        web = f"--bind 127.0.0.1:{self.web_port} --workers 1 --threads 4 services.notify.wsgi:app"
        worker = "-A services.notify.worker worker -Q notify --pool threads --concurrency 4"
        worker += " --without-gossip --without-mingle --loglevel INFO"
        beat = f"-A services.beat beat --loglevel INFO --schedule {self.workdir / 'celerybeat-schedule'}"
        return {
            "web": [str(BIN / "gunicorn"), *web.split()],
            "worker": [str(BIN / "celery"), *worker.split()],
            "beat": [str(BIN / "celery"), *beat.split()],
            # A second beat, as if started by mistake: the dispatch must stay correct.
            "beat2": [str(BIN / "celery"), *beat.replace("celerybeat-schedule", "celerybeat-schedule-2").split()],
            "relay": [sys.executable, "-m", "shared.relay", "--service", "booking", "--poll", "0.2"],
        }

    def start(self, name: str, wait: bool = True) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (closed by the child's exit)
        with self.lock:
            self.running[name] = subprocess.Popen(
                self.commands()[name],
                cwd=ROOT,
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        log.close()
        if name == "worker" and wait:
            wait_until(lambda: "ready." in self.log("worker"), 30, "the celery worker to be ready", self.workdir)

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        with self.lock:
            process = self.running.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, sig)
        process.wait(timeout=20)

    def stop_all(self) -> None:
        self._supervising.clear()
        with self.lock:
            pass  # let a restart in progress finish
        for name in list(self.running):
            process = self.running[name]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in list(self.running.items()):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            del self.running[name]
