"""Start the production topology without Docker: deploy/Procfile under honcho, on the local PostgreSQL and Redis.

Used by `make up`'s tests, the end-to-end topology tests and every benchmark, so all of them run exactly the
processes production runs (gunicorn per service, a celery worker per queue, one beat, the relay, nginx).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from shared.config import SERVICES
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[1]
GATEWAY = "http://127.0.0.1:8100"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "topology-secret-key-that-is-long-enough-0123456789"
# Every simulated client of a benchmark or load test reaches the gateway from 127.0.0.1, i.e. one address: the
# production abuse limits (per address) would stop it after a few dozen requests. A run that tests the limits
# themselves passes its own values (``running_topology(..., BOOKING_SUBMIT_LIMIT="2 per hour")``).
BENCH_LIMITS = {
    "BOOKING_SUBMIT_LIMIT": "1000000 per hour",
    "BOOKING_PUBLIC_FORM_LIMIT": "1000000 per hour",
    "BOOKING_STATUS_LINK_LIMIT": "1000000 per hour",
    "BOOKING_STATUS_LINK_MISS_LIMIT": "1000000 per hour",
    "INVENTORY_LOGIN_LIMIT": "1000000 per hour",
}


@dataclass
class Topology:
    environ: dict[str, str]
    database_urls: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def gateway(self) -> str:
        return GATEWAY

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def pids(self) -> dict[str, list[int]]:
        """Process ids of every gunicorn and celery process of the topology, by role."""
        roles: dict[str, list[int]] = {}
        if self.process is None:
            return roles
        for pid in _descendants(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            for role, marker in (
                ("inventory", "services.inventory.wsgi"),
                ("booking", "services.booking.wsgi"),
                ("notify", "services.notify.wsgi"),
                ("worker_booking", "services.booking.worker"),
                ("worker_notify", "services.notify.worker"),
                ("beat", "services.beat"),
                ("relay", "shared.relay"),
            ):
                if marker in command:
                    roles.setdefault(role, []).append(pid)
        return roles


def _descendants(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            child = int(entry.name)
            children += [child, *_descendants(child)]
    return children


def pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{database}"


def create_databases(prefix: str) -> dict[str, str]:
    urls = {}
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        for service in SERVICES:
            name = f"{prefix}_{service}"
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
            urls[service] = pg_url(name)
    for service, url in urls.items():
        upgrade(ROOT / "services" / service / "migrations", url)
    return urls


def topology_environ(urls: dict[str, str], broker_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    environ = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}:/usr/sbin",
        "UITLEEN_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "BROKER_URL": broker_url,
        "RATELIMIT_STORAGE_URL": broker_url,
        "UITLEEN_VAR_DIR": str(var_dir),
        # Plain HTTP on loopback: the test clients would not send Secure cookies back.
        "SECURE_COOKIES": "false",
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        **{f"{service.upper()}_DATABASE_URL": url for service, url in urls.items()},
        **BENCH_LIMITS,
    }
    environ.update(extra)
    return environ


def wait_ready(process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the topology exited with {process.returncode}")
        if all(_status(f"{GATEWAY}/{service}/readyz") == 200 for service in SERVICES):
            return
        time.sleep(0.5)
    raise TimeoutError("the topology did not become ready")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return 0


def load_demo_data(environ: dict[str, str]) -> dict[str, int]:
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            "from services.inventory.demo import load_demo_data\n"
            "from shared.config import load_settings\nfrom shared.db import Database\nimport json\n"
            "db = Database(load_settings('inventory').database_url)\n"
            "with db.transaction() as s: print(json.dumps(load_demo_data(s)))",
        ],
        env=environ,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


TOPOLOGY_PORTS = (8100, 8101, 8102, 8103)


def wait_for_free_ports(seconds: float = 120) -> None:
    """The Procfile's ports are fixed: wait for another run to finish rather than talk to its processes.

    Raises RuntimeError naming the busy ports when they stay taken.
    """
    deadline = time.monotonic() + seconds
    while True:
        busy = [port for port in TOPOLOGY_PORTS if _port_taken(port)]
        if not busy:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"ports {busy} are taken by another process; the topology needs 8100-8103")
        time.sleep(1)


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@contextlib.contextmanager
def running_topology(
    prefix: str, broker_url: str, var_dir: Path, demo: bool = True, **extra: str
) -> Iterator[Topology]:
    """Fresh databases, then every process of deploy/Procfile; stopped with SIGTERM (graceful) at the end."""
    wait_for_free_ports()
    urls = create_databases(prefix)
    var_dir.mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "nginx").mkdir(parents=True, exist_ok=True)
    environ = topology_environ(urls, broker_url, var_dir, **extra)
    if demo:
        load_demo_data(environ)
    topology = Topology(environ=environ, database_urls=urls, log_path=var_dir / "topology.log")
    with open(topology.log_path, "wb") as log:
        topology.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "honcho"), "-f", "deploy/Procfile", "-d", str(ROOT), "start"],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_ready(topology.process)
            yield topology
        finally:
            stop(topology.process)


def stop(process: subprocess.Popen[bytes], seconds: float = 40) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def prepare_local() -> None:
    """`make up`: create the three databases named by the environment if missing, migrate, load the demo."""
    from sqlalchemy.engine import make_url

    from shared.config import load_settings

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        for service in SERVICES:
            name = make_url(load_settings(service).database_url).database
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}")
    for service in SERVICES:
        upgrade(ROOT / "services" / service / "migrations", load_settings(service).database_url)
    print(f"demo data added: {load_demo_data(dict(os.environ))}")


if __name__ == "__main__":
    if sys.argv[1:] == ["prepare"]:
        prepare_local()
    else:
        sys.exit("usage: python -m bench.topology prepare")
