"""Two versions of the public pages, interleaved in one run: CPU per page, before against after.

``python -m bench.pages_ab --before DIR [--after DIR] [--rounds 8] [--prefix uitleen_pages_ab]``

``DIR`` is a source tree (``git archive <commit> | tar -x -C DIR``); ``--after`` defaults to this checkout. The
parent builds one world with ``bench.paths`` (fresh PostgreSQL databases ``<prefix>_<service>``, the Ghent demo
data, one pending request for its status page, a month holding 40 requests and two maintenance windows), then
starts one worker per tree on those databases. Round after round each worker renders every public page five
times (``time.thread_time`` around Flask's test client, as ``bench.paths`` measures), the two alternating page
by page, so the machine's load falls on both alike; the table gives the median per page and variant. Both
trees must read the same schema (no migration between them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PER_TURN = 5


def worker() -> None:
    """One tree's pages app on the parent's databases: reads a URL a line, answers the CPU ms of PER_TURN gets."""
    from services.booking.web import create_pages_app
    from shared.config import load_settings
    from shared.db import Database

    environ = json.loads(os.environ["PAGES_AB_ENVIRON"])
    app = create_pages_app(load_settings("booking", environ), Database(environ["BOOKING_DATABASE_URL"]))
    client = app.test_client()
    for line in sys.stdin:
        url = line.strip()
        for _ in range(2):  # warm: templates compiled, statements cached
            assert client.get(url).status_code == 200, url
        spent = []
        for _ in range(PER_TURN):
            started = time.thread_time()
            response = client.get(url)
            spent.append((time.thread_time() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(json.dumps(spent), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="source tree of the reference")
    parser.add_argument("--after", default=str(ROOT), help="source tree measured against it (this checkout)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--prefix", default="uitleen_pages_ab")
    args = parser.parse_args()

    from bench import paths
    from shared import clock

    world = paths.build_world(args.prefix)
    token = paths.status_token(world)
    months = {"empty": paths.monday_after(400), "busy": paths.monday_after(500)}
    paths.fill_month(world, months["busy"], 40)
    urls = {}
    for kind, month in months.items():
        local = month.astimezone(clock.BRUSSELS)
        values = {
            "code": world.asset_code,
            "caravan": paths.CARAVAN,
            "month": local.strftime("%Y-%m"),
            "day": local.date().isoformat(),
            "token": token,
        }
        for label, path in paths.PUBLIC_PAGES:
            urls[(label, kind)] = path.format(**values)
    for database in world.databases.values():
        database.engine.dispose()

    workers = {}
    for variant, tree in (("before", args.before), ("after", args.after)):
        env = {**os.environ, "PYTHONPATH": tree, "PAGES_AB_ENVIRON": json.dumps(world.environ)}
        workers[variant] = subprocess.Popen(
            # this file as a script, so that the reference tree need not have it; its services from PYTHONPATH
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    spent: dict[tuple[str, str, str], list[float]] = {}
    try:
        for round_ in range(args.rounds):
            order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
            for key, url in urls.items():
                for variant in order:
                    process = workers[variant]
                    assert process.stdin is not None and process.stdout is not None
                    process.stdin.write(url + "\n")
                    process.stdin.flush()
                    spent.setdefault((*key, variant), []).extend(json.loads(process.stdout.readline()))
    finally:
        for process in workers.values():
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=30)
    print(render(spent, args.rounds))


def render(spent: dict[tuple[str, str, str], list[float]], rounds: int) -> str:
    from bench.paths import PUBLIC_PAGES  # (the parent's tree: the worker, run in the reference tree, never renders)

    lines = [
        f"Public pages, CPU ms per request (median of {rounds} × {PER_TURN} per cell, the variants alternating)",
        "",
        "| page | before, empty | after, empty | before, busy | after, busy |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, _ in PUBLIC_PAGES:
        cells: list[Any] = [label]
        for kind in ("empty", "busy"):
            for variant in ("before", "after"):
                cells.append(f"{statistics.median(spent[(label, kind, variant)]):.2f}")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main()
