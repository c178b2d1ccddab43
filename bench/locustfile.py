"""The simulated people of the load test (``bench/load.py`` runs this file with locust, headless).

- ``Resident`` (most users): browses the public catalogue, asset pages and their month calendars, asks what is
  free for some dates, reads availability, and now and then submits a request — through the JSON API with an
  ``Idempotency-Key`` (sometimes sending the very same submission twice, as a flaky network or a double click
  would) or through the HTML form (CSRF token and idempotency key taken from the page) — and follows its
  private status link.
- ``Desk`` (a few users): staff who log in once and approve (or now and then reject) pending requests, so
  approvals compete for the same asset and dates while residents keep asking.

Expected refusals are not errors: a 409 on approving a request whose asset is taken meanwhile is the system
doing its job. Anything else unexpected (5xx, a 4xx on valid input, a replay that names another request) is
a failure in locust's statistics. Every submission writes ``load <idempotency key>`` as its purpose, so
``bench/load.py`` can count requests per key in the database afterwards.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import date, timedelta
from typing import Any

from locust import HttpUser, between, events, task

from services.booking.domain.holidays import holiday_on

DEMO_ADMIN = {"email": "beheer@uitleen.demo", "password": "uitleen-demo"}
WEEKS_AHEAD = 10  # submissions spread over this many weeks: few enough that requests compete
REPEAT_SHARE = 0.2  # share of API submissions sent twice with the same key
ANSWER_BY_KIND = {"confirm": True, "license_plate": "1-ABC-123", "driver_category": "B"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')

CATALOGUE: dict[str, Any] = {"assets": []}


@events.test_start.add_listener
def _load_catalogue(environment: Any, **_kwargs: Any) -> None:
    """The public assets with their requirements, read once from inventory's API."""
    import requests

    host = environment.host
    assets = requests.get(f"{host}/inventory/assets", params={"page_size": 100}, timeout=30).json()
    CATALOGUE["assets"] = [a for a in assets if a.get("public", True) and a.get("status", "active") == "active"]
    if not CATALOGUE["assets"]:
        raise RuntimeError("no public assets: load the demo data first")


def pickup_and_return(week: int) -> tuple[str, str]:
    """A Tuesday 10:00 pick-up and the Thursday 15:00 return, ``week`` weeks after next week (Brussels time)."""
    today = date.today()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7 * (week + 1))
    while holiday_on(tuesday) or holiday_on(tuesday + timedelta(days=2)):  # every centre closes on a holiday
        tuesday += timedelta(days=7)
    return f"{tuesday.isoformat()}T10:00", f"{(tuesday + timedelta(days=2)).isoformat()}T15:00"


class Resident(HttpUser):
    weight = 50
    wait_time = between(1, 4)

    def asset(self, without_requirements: bool = False) -> dict[str, Any]:
        choices = [a for a in CATALOGUE["assets"] if not (without_requirements and a.get("requirements"))]
        return random.choice(choices or CATALOGUE["assets"])

    @task(6)
    def catalogue(self) -> None:
        self.client.get("/", name="page: catalogue")

    @task(6)
    def asset_page(self) -> None:
        self.client.get(f"/lenen/{self.asset()['code']}", name="page: asset")

    @task(4)
    def calendar(self) -> None:
        month = date.today().replace(day=1) + timedelta(days=32 * random.randint(1, 4))
        self.client.get(f"/lenen/{self.asset()['code']}?maand={month:%Y-%m}", name="page: asset calendar")

    @task(2)
    def date_search(self) -> None:
        pickup, ret = pickup_and_return(random.randrange(WEEKS_AHEAD))
        params = {"van_datum": pickup[:10], "van_uur": "10:00", "tot_datum": ret[:10], "tot_uur": "15:00"}
        self.client.get("/", params=params, name="page: what can I borrow")

    @task(3)
    def availability(self) -> None:
        start = date.today() + timedelta(days=random.randint(0, 60))
        end = start + timedelta(days=31)
        params = {"asset_id": self.asset()["id"], "from": f"{start}T00:00", "to": f"{end}T00:00"}
        self.client.get("/booking/availability", params=params, name="api: availability")

    @task(2)
    def inventory_list(self) -> None:
        self.client.get("/inventory/assets", params={"page_size": 20}, name="api: inventory assets")

    @task(2)
    def submit_api(self) -> None:
        asset = self.asset()
        pickup, ret = pickup_and_return(random.randrange(WEEKS_AHEAD))
        key = str(uuid.uuid4())
        answers = {r["code"]: ANSWER_BY_KIND.get(r["kind"], "ja") for r in asset.get("requirements") or []}
        body = {
            "initiative": f"Buurtinitiatief {random.randint(1, 400)}",
            "contact": {"name": "Load Test", "email": f"load-{key[:8]}@example.org", "phone": None, "language": "nl"},
            "purpose": f"load {key}",
            "pickup_at": pickup,
            "return_at": ret,
            "items": [{"asset_id": asset["id"], "quantity": 1, "answers": answers}],
        }
        headers = {"Idempotency-Key": key}
        with self.client.post(
            "/booking/requests", json=body, headers=headers, name="api: submit request", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            first = response.json()
        if random.random() < REPEAT_SHARE:
            with self.client.post(
                "/booking/requests",
                json=body,
                headers=headers,
                name="api: submit again (same key)",
                catch_response=True,
            ) as again:
                if again.status_code != 201 or again.json().get("request_id") != first["request_id"]:
                    again.failure(f"replay gave {again.status_code} {again.text[:200]}")
        self.client.get(f"/booking{first['status_url']}", name="api: private status link")

    @task(1)
    def submit_form(self) -> None:
        asset = self.asset(without_requirements=True)
        if asset.get("requirements"):
            return
        page = self.client.get(f"/lenen/{asset['code']}/aanvraag", name="page: request form")
        csrf, key = CSRF.search(page.text), IDEMPOTENCY.search(page.text)
        if page.status_code != 200 or not csrf or not key:
            return
        pickup, ret = pickup_and_return(random.randrange(WEEKS_AHEAD))
        form = {
            "csrf_token": csrf.group(1),
            "idempotency_key": key.group(1),
            "initiative": f"Buurtinitiatief {random.randint(1, 400)}",
            "contact_name": "Load Test",
            "email": f"form-{key.group(1)[:8]}@example.org",
            "phone": "",
            "language": "nl",
            "purpose": f"load {key.group(1)}",
            "pickup_date": pickup[:10],
            "pickup_time": pickup[11:],
            "return_date": ret[:10],
            "return_time": ret[11:],
            "quantity": "1",
            "consent": "yes",
        }
        with self.client.post(
            f"/lenen/{asset['code']}/aanvraag",
            data=form,
            name="page: submit form",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 303:
                response.failure(f"{response.status_code}")


class Desk(HttpUser):
    """Staff at the desk: approve what is pending (a 409 'asset taken' is an expected answer)."""

    weight = 1
    fixed_count = 4
    wait_time = between(2, 5)

    def on_start(self) -> None:
        response = self.client.post("/inventory/auth/login", json=DEMO_ADMIN, name="api: staff login")
        response.raise_for_status()
        self.client.headers["X-Requested-With"] = "XMLHttpRequest"  # what a cookie write needs (shared/guard.py)

    @task
    def decide(self) -> None:
        listed = self.client.get(
            "/booking/requests", params={"status": "requested", "page_size": 20}, name="api: staff list requests"
        )
        pending = listed.json() if listed.status_code == 200 else []
        if not pending:
            return
        request_id = random.choice(pending)["request_id"]
        action, body = ("reject", {"reason": "vol"}) if random.random() < 0.1 else ("approve", {})
        with self.client.post(
            f"/booking/requests/{request_id}/{action}", json=body, name=f"api: {action}", catch_response=True
        ) as response:
            if response.status_code == 409:
                response.success()  # taken meanwhile, or decided by another desk: the rule working
