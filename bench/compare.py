"""Before and after in one run: ``bench.paths`` over several versions of the code, interleaved.

``python -m bench.compare main HEAD [--rounds 3] [--size smoke] [--prefix uitleen_cmp]`` exports each git ref
(``.`` is the working tree as it is) into a temporary directory, puts this tree's ``bench/paths.py`` in it (so
every version is measured by the same code), and runs the versions one after the other, round after round
(A B A B …): a machine shared with other work slows every version alike. It prints, per version, the median
over all rounds of each booking path's CPU per request and of each page's, and the statements and
transactions (which must not differ between rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUN = (
    "import json, sys; from bench.paths import run; r = run(sys.argv[1], sys.argv[2]);"
    " print('\\nBENCH-JSON ' + json.dumps(r.data))"
)


def export(ref: str, into: Path) -> Path:
    """The tree of ``ref`` (``.``: the working tree, uncommitted changes included) under ``into``."""
    target = into / ref.replace("/", "_").replace(".", "worktree")
    if ref == ".":
        shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".venv", ".git", "var", "__pycache__"))
    else:
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    shutil.copy(ROOT / "bench" / "paths.py", target / "bench" / "paths.py")
    return target


def measure(tree: Path, size: str, prefix: str) -> dict[str, Any]:
    environ = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", RUN, size, prefix], cwd=tree, env=environ, check=True, capture_output=True, text=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH-JSON "))
    return dict(json.loads(line.removeprefix("BENCH-JSON ")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("refs", nargs="+", help="git refs to compare; '.' is the working tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", choices=("smoke", "full"), default="smoke")
    parser.add_argument("--prefix", default="uitleen_cmp")
    args = parser.parse_args()
    samples: dict[str, dict[str, list[float]]] = {ref: {} for ref in args.refs}
    counts: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="uitleen-compare-") as scratch:
        trees = {ref: export(ref, Path(scratch)) for ref in args.refs}
        for round_ in range(args.rounds):
            for ref in args.refs if round_ % 2 == 0 else reversed(args.refs):
                data = measure(trees[ref], args.size, args.prefix)
                mine = samples[ref]
                for path, figures in data["booking"].items():
                    mine.setdefault(path, []).extend(figures["cpu_ms"])
                    counts.setdefault(ref, {})[path] = (
                        statistics.mean(figures["statements"]),
                        statistics.mean(figures["transactions"]),
                    )
                for page, figures in data.get("page_cpu_ms", {}).items():
                    mine.setdefault(f"page: {page}, empty", []).extend(figures["empty"])
                    mine.setdefault(f"page: {page}, busy", []).extend(figures["busy"])
                print(f"round {round_ + 1}: {ref} done", file=sys.stderr)
    labels = list(dict.fromkeys(label for ref in args.refs for label in samples[ref]))
    print("| measured | " + " | ".join(f"{ref} CPU ms (median)" for ref in args.refs) + " |")
    print("| --- |" + " ---: |" * len(args.refs))
    for label in labels:
        cells = [
            f"{statistics.median(samples[ref][label]):.2f}" if samples[ref].get(label) else "–" for ref in args.refs
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    for ref in args.refs:
        print(f"{ref}: statements, transactions per request: {counts.get(ref)}")


if __name__ == "__main__":
    main()
