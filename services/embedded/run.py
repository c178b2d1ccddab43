"""``make run``: migrate, load the demo data, then run web, worker, relay and beat in the foreground.

Ctrl-C (or SIGTERM) stops everything this started. Data lives in var/ and survives a restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.inventory.demo import DEMO_PASSWORD, STAFF, load_demo_data
from shared.config import SERVICES, default_var_dir, load_settings, process_settings
from shared.db import Database
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]


def prepare() -> None:
    var_dir = default_var_dir()
    var_dir.mkdir(parents=True, exist_ok=True)
    print(f"uitleen: migrating the three databases in {var_dir} and loading the Ghent demo data", flush=True)
    for service in SERVICES:
        settings = load_settings(service)
        upgrade(ROOT / "services" / service / "migrations", settings.database_url)
    inventory = Database(load_settings("inventory").database_url)
    with inventory.transaction() as session:
        added = load_demo_data(session)
    inventory.dispose()
    print(f"uitleen: databases migrated in {var_dir}; demo data added: {added}", flush=True)


def commands(port: int) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    var_dir = default_var_dir()
    return {
        "web": [
            str(bin_dir / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--graceful-timeout",
            "10",
            "services.embedded.wsgi:app",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "services.embedded.worker",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        # One relay for every service's outbox (production runs one per producing service).
        "relay": [sys.executable, "-m", "shared.relay", "--poll", "1"],
        "beat": [
            str(bin_dir / "celery"),
            "-A",
            "services.embedded.worker",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(var_dir / "celerybeat-schedule"),
        ],
    }


def serve(port: int, public_url: str) -> int:
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    # one base for every link the processes print (mails from the worker, pages from web)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PUBLIC_URL": public_url}
    for name, command in commands(port).items():
        # Own process groups: Ctrl-C reaches us, and we stop the children in order, gracefully.
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    print(f"\nUitleen draait op {public_url}/  (Ctrl-C stopt alles)", flush=True)
    print(f"Staff login: {STAFF[0]['email']} / {DEMO_PASSWORD}  (demo only)", flush=True)
    print(
        f"Verstuurde mail: {public_url}/notify/outbox-mail  (meld je eerst aan als medewerker; "
        "captured mail: log in as staff first)\n",
        flush=True,
    )
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(
                    f"uitleen: {name} stopped with exit code {process.returncode}; stopping the rest",
                    flush=True,
                )
                stopping, exit_code = True, 1
                break
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    print("uitleen: stopped", flush=True)
    return exit_code


def main() -> int:
    port = process_settings().port
    prepare()
    return serve(port, load_settings("booking").public_url)


if __name__ == "__main__":
    sys.exit(main())
