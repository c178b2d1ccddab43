"""Browser tests: Debian's chromium driven by Playwright, against the real apps served by a real HTTP server.

The apps run in a werkzeug server thread against the PostgreSQL test databases; inventory's demo data is fed to
booking's copy through booking's EVENT_HANDLERS (tests.booking_fixtures.InventoryFeed). axe-core checks every
page. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from shared import clock
from shared.config import load_settings
from shared.db import Database
from tests.booking_fixtures import NOW, InventoryFeed

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / ".cache" / "axe-core" / "package" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=nl-BE",  # date and time fields as a Ghent resident's browser shows them
]


@dataclass
class Live:
    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


# Package scope: the server, the browser and Playwright's event loop stop when the browser tests end, before the
# e2e tests (an event loop left in the main thread would get in the way of their SMTP server's).
@pytest.fixture(scope="package")
def live(_databases: dict[str, Database], environ: dict[str, str]) -> Iterator[Live]:
    """The suite as a browser sees it: pages at /, booking API at /booking, inventory (login) at /inventory,
    notify (its staff pages) at /notify."""
    from services.booking.app import create_app as create_booking
    from services.booking.web import create_pages_app
    from services.inventory.app import create_app as create_inventory
    from services.notify.app import create_app as create_notify

    # the port first: links in pages and mails name the URL the suite is really served at (PUBLIC_URL)
    server = make_server("127.0.0.1", 0, lambda environ, start_response: [], threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    environ = {**environ, "PUBLIC_URL": url}
    booking_settings = load_settings("booking", environ)
    server.app = DispatcherMiddleware(
        create_pages_app(booking_settings, _databases["booking"]),
        {
            "/booking": create_booking(booking_settings, _databases["booking"]),
            "/inventory": create_inventory(load_settings("inventory", environ), _databases["inventory"]),
            "/notify": create_notify(load_settings("notify", environ), _databases["notify"]),
        },
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield Live(url)
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def demo(databases: dict[str, Database]) -> InventoryFeed:
    """Ghent's demo data (centres, caravan, give-box, staff accounts) in inventory, relayed to booking's copy.

    The clock stands on Monday 4 March 2030, 08:00 in Brussels.
    """
    from services.inventory.demo import load_demo_data

    clock.set_clock(NOW)
    with databases["inventory"].transaction() as session:
        load_demo_data(session)
    feed = InventoryFeed(databases["inventory"], databases["booking"])
    feed.relay()
    return feed


@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists() or not AXE.exists():
        pytest.fail("Chromium or axe-core is missing: run `bash deploy/ensure-browser.sh` (make test does).")
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-BE")
    context.add_init_script(path=str(AXE))  # injected by the browser itself: the page's CSP stays strict
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not csp, f"the page broke its Content Security Policy: {csp}"


def check_accessibility(page: Page, name: str) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA rules) on the current page: no serious or critical violation."""
    result: dict[str, Any] = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = [f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad]
    assert not bad, f"accessibility problems on {name} ({page.url}):\n" + "\n".join(details)


def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def visit(page: Page, url: str, name: str) -> None:
    """Open a page, check it with axe, keep a screenshot."""
    page.goto(url)
    check_accessibility(page, name)
    screenshot(page, name)
