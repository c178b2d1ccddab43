"""The layers hold, read from the source (``ast``), for every service (docs/architecture.md, *the layers*):

- the HTTP layer — every module under ``services/*/api/`` and ``services/*/web/``, and notify's
  ``staff_pages.py`` — never ends or opens a transaction (no ``.commit()``, ``.rollback()``, ``.begin()``,
  ``.begin_nested()`` or ``.transaction()``): each change is one call to the service's ``application.py``,
  which owns it;
- domain code (``services/*/domain/``) imports nothing of Flask;
- the environment is read in ``shared/config.py`` alone (``Settings``, ``ProcessSettings``), and in the few
  places listed in ``ENVIRONMENT_ALLOWED`` with their reason. Application code only: the tests, the benches
  and their harnesses read their own variables (a test database prefix, a Redis URL) and are not scanned.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TRANSACTION_CALLS = {"commit", "rollback", "begin", "begin_nested", "transaction"}
ENVIRONMENT_NAMES = {"environ", "environb", "getenv", "putenv", "unsetenv"}

# Where reading os.environ is allowed besides shared/config.py, and why (keep this short).
ENVIRONMENT_ALLOWED = {
    # `make run` starts web, worker, relay and beat as child processes: it hands them its own environment
    # (plus PYTHONPATH and PUBLIC_URL), which each child then reads through shared/config.py.
    "services/embedded/run.py",
}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def http_modules() -> list[Path]:
    found = [*ROOT.glob("services/*/api/**/*.py"), *ROOT.glob("services/*/web/**/*.py")]
    return sorted({*found, ROOT / "services/notify/staff_pages.py"})


def domain_modules() -> list[Path]:
    return sorted(ROOT.glob("services/*/domain/**/*.py"))


CONFIG = "shared/config.py"


def application_modules() -> list[Path]:
    """Every module of the services and of shared/ but the configuration and the places allowed."""
    every = (path for pattern in ("services/**/*.py", "shared/**/*.py") for path in ROOT.glob(pattern))
    return sorted(path for path in every if _relative(path) not in ENVIRONMENT_ALLOWED | {CONFIG})


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def transaction_calls(tree: ast.AST) -> list[str]:
    """Each ``x.commit()``-like call in the tree, as ``line: call``."""
    return [
        f"{node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSACTION_CALLS
    ]


def _is_flask(package: str) -> bool:
    return package == "flask" or package.startswith("flask_")


def flask_imports(tree: ast.AST) -> list[str]:
    """Each import of flask or a flask extension (flask_babel, flask_smorest, …), as ``line: module``."""
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [f"{node.lineno}: {name}" for name in names if _is_flask(name.split(".")[0])]
    return found


def environment_reads(tree: ast.AST) -> list[str]:
    """Each use of ``os.environ``/``os.getenv`` (under any alias of ``os``) or ``from os import environ``."""
    os_names = {"os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [f"{node.lineno}: from os import {a.name}" for a in node.names if a.name in ENVIRONMENT_NAMES]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT_NAMES
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


# --- the detectors themselves, on snippets -------------------------------------------------------------------


def test_the_detectors_find_what_they_look_for() -> None:
    view = "def v():\n    db = get_session()\n    db.commit()\n    get_session().rollback()\n    ok = db.scalar(1)\n"
    assert transaction_calls(ast.parse(view)) == ["3: .commit()", "4: .rollback()"]
    assert transaction_calls(ast.parse("with db.begin():\n    pass\nwith get_database().transaction():\n    pass")) == [
        "1: .begin()",
        "3: .transaction()",
    ]
    assert flask_imports(ast.parse("import flask\nfrom flask_babel import gettext\nfrom shared import auth")) == [
        "1: flask",
        "2: flask_babel",
    ]
    assert flask_imports(ast.parse("from .flask import x\nimport flasky as f\nfrom flask.views import V")) == [
        "3: flask.views"
    ]
    reads = "import os as o\nfrom os import getenv, path\nx = o.environ['A']\ny = os.getenv('B')\nz = os.path.sep\n"
    assert environment_reads(ast.parse(reads)) == ["2: from os import getenv", "3: o.environ", "4: os.getenv"]


def test_the_scan_covers_every_service() -> None:
    http = {_relative(path) for path in http_modules()}
    assert {
        "services/booking/api/requests.py",
        "services/booking/web/staff.py",
        "services/inventory/api/assets.py",
        "services/inventory/web/beheer.py",
        "services/notify/api/privacy.py",
        "services/notify/staff_pages.py",
    } <= http
    domain = {_relative(path) for path in domain_modules()}
    assert {"services/booking/domain/decisions.py", "services/inventory/domain/assets.py"} <= domain
    assert "services/notify/domain/feeds.py" in domain
    scanned = {_relative(path) for path in application_modules()}
    assert {"shared/db.py", "services/inventory/application.py", "services/embedded/app.py"} <= scanned


# --- the rules ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", http_modules(), ids=_relative)
def test_views_never_commit(path: Path) -> None:
    """A view parses, makes one call to its service's application layer, and renders: the call commits."""
    assert transaction_calls(parse(path)) == [], f"{_relative(path)} ends a transaction itself"


@pytest.mark.parametrize("path", domain_modules(), ids=_relative)
def test_domain_knows_nothing_of_flask(path: Path) -> None:
    assert flask_imports(parse(path)) == [], f"{_relative(path)} imports Flask"


@pytest.mark.parametrize("path", application_modules(), ids=_relative)
def test_the_environment_is_read_in_config_alone(path: Path) -> None:
    problem = f"{_relative(path)} reads the environment: use shared/config.py (Settings, ProcessSettings)"
    assert environment_reads(parse(path)) == [], problem


def test_every_allowed_place_still_needs_it() -> None:
    """An allowance nobody uses any more goes from the list."""
    for name in ENVIRONMENT_ALLOWED | {CONFIG}:
        assert environment_reads(parse(ROOT / name)), f"{name} no longer reads the environment: drop it"
