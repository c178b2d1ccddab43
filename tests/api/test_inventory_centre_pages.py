"""The centre pages (/inventory/beheer/centra): a centre's address, e-mail, phone and opening hours, by its own
staff or an administrator; a new centre by an administrator. On the embedded default (SQLite) and PostgreSQL."""

from __future__ import annotations

import re

import sqlalchemy as sa
from werkzeug.test import Client

from services.inventory.demo import DEMO_PASSWORD
from services.inventory.models import Location
from tests.support.embedded import Embedded


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def logged_in(demo_suite: Embedded, email: str) -> Client:
    client = demo_suite.client()
    page = client.get("/inventory/login").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "email": email, "password": DEMO_PASSWORD, "next": "/staff"}
    assert client.post("/inventory/login", data=form).status_code == 303
    return client


def centre(demo_suite: Embedded, code: str) -> Location:
    with demo_suite.databases["inventory"].session_factory() as session:
        location = session.scalar(sa.select(Location).where(Location.code == code))
        assert location is not None
        session.expunge(location)
        return location


def form_of(html: str, **changes: str) -> dict[str, str]:
    """The form as the page filled it, with ``changes``."""
    fields = dict(
        re.findall(r'<input type="(?:text|email|tel|time|hidden)" (?:id="[^"]*" )?name="([^"]+)" value="([^"]*)"', html)
    )
    return {**fields, **changes}


def test_a_centres_staff_member_sets_its_email_phone_and_hours(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    page = client.get(f"/inventory/beheer/centra/{dampoort.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="bc-dampoort@uitleen.demo"' in html and 'name="hours-5-0-opens" value="10:00"' in html
    form = form_of(
        html,
        email="Balie.Dampoort@uitleen.demo",
        phone="09 266 10 02",
        **{"hours-6-0-opens": "14:00", "hours-6-0-closes": "17:00", "hours-5-0-opens": "", "hours-5-0-closes": ""},
    )
    answer = client.post(f"/inventory/beheer/centra/{dampoort.id}", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    after = centre(demo_suite, "bc-dampoort")
    assert (after.email, after.phone) == ("Balie.Dampoort@uitleen.demo", "09 266 10 02")
    with demo_suite.databases["inventory"].session_factory() as session:
        days = {h.weekday for h in session.get(Location, dampoort.id).opening_hours}  # type: ignore[union-attr]
    assert days == {0, 1, 2, 3, 4, 6}
    assert "Bewaard." in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_refused_centre_form_keeps_the_input_and_says_why_beside_the_field(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    html = client.get(f"/inventory/beheer/centra/{dampoort.id}").get_data(as_text=True)
    bad_email = client.post(
        f"/inventory/beheer/centra/{dampoort.id}", data=form_of(html, email="balie at dampoort", phone="09 1")
    )
    page = bad_email.get_data(as_text=True)
    assert bad_email.status_code == 422
    assert 'id="email-fout">Dit is geen geldig e-mailadres.' in page
    assert 'value="balie at dampoort"' in page and 'value="09 1"' in page
    backwards = client.post(
        f"/inventory/beheer/centra/{dampoort.id}",
        data=form_of(html, **{"hours-2-0-opens": "12:00", "hours-2-0-closes": "09:00"}),
    )
    page = backwards.get_data(as_text=True)
    assert backwards.status_code == 422
    assert 'id="hours-2-0-opens-fout">Het einde moet na het begin komen.' in page
    assert 'name="hours-2-0-opens" value="12:00"' in page
    half = client.post(f"/inventory/beheer/centra/{dampoort.id}", data=form_of(html, **{"hours-6-1-opens": "10:00"}))
    assert half.status_code == 422 and "Vul zowel het begin als het einde in" in half.get_data(as_text=True)
    assert centre(demo_suite, "bc-dampoort").version == dampoort.version  # nothing was changed


def test_a_stale_centre_form_keeps_what_was_typed_and_says_someone_else_changed_it(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    html = client.get(f"/inventory/beheer/centra/{dampoort.id}").get_data(as_text=True)
    admin = logged_in(demo_suite, "beheer@uitleen.demo")
    admin_form = form_of(admin.get(f"/inventory/beheer/centra/{dampoort.id}").get_data(as_text=True), phone="09 1")
    assert admin.post(f"/inventory/beheer/centra/{dampoort.id}", data=admin_form).status_code == 303
    late = client.post(f"/inventory/beheer/centra/{dampoort.id}", data=form_of(html, phone="09 266 99 99"))
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Iemand anders heeft dit buurtcentrum intussen aangepast" in page
    assert 'value="09 266 99 99"' in page and "Nu bewaard: 09 1" in page
    assert centre(demo_suite, "bc-dampoort").phone == "09 1"
    again = client.post(f"/inventory/beheer/centra/{dampoort.id}", data=form_of(page))  # knowingly, once more
    assert again.status_code == 303 and centre(demo_suite, "bc-dampoort").phone == "09 266 99 99"


def test_another_centres_staff_member_cannot_open_or_change_it(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "bloemekenswijk@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    assert client.get(f"/inventory/beheer/centra/{dampoort.id}").status_code == 403
    answer = client.post(f"/inventory/beheer/centra/{dampoort.id}", data={"csrf_token": "x", "name": "Van mij"})
    assert answer.status_code in (400, 403)
    listing = client.get("/inventory/beheer/centra").get_data(as_text=True)
    assert f"/inventory/beheer/centra/{dampoort.id}" not in listing and "Buurtcentrum Dampoort" in listing
    assert client.get("/inventory/beheer/centra/nieuw").status_code == 403
    assert centre(demo_suite, "bc-dampoort").name == "Buurtcentrum Dampoort"


def test_an_administrator_adds_a_centre_and_a_taken_code_is_refused_with_the_input_kept(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "beheer@uitleen.demo")
    html = client.get("/inventory/beheer/centra/nieuw").get_data(as_text=True)
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "code": "bc-dampoort",
        "name": "Buurtcentrum Watersportbaan",
        "street": "Yachtdreef 9",
        "postal_code": "9000",
        "city": "Gent",
        "email": "bc-watersportbaan@uitleen.demo",
        "phone": "",
        "hours-0-0-opens": "9:00",
        "hours-0-0-closes": "12:00",
    }
    taken = client.post("/inventory/beheer/centra/nieuw", data=form)
    page = taken.get_data(as_text=True)
    assert taken.status_code == 422 and 'id="code-fout">Die code is al in gebruik.' in page
    assert 'value="Buurtcentrum Watersportbaan"' in page and 'value="9:00"' in page
    added = client.post("/inventory/beheer/centra/nieuw", data={**form, "code": "bc-watersportbaan"})
    assert added.status_code == 303, added.get_data(as_text=True)[:500]
    new = centre(demo_suite, "bc-watersportbaan")
    assert new.email == "bc-watersportbaan@uitleen.demo" and new.phone is None
    assert added.headers["Location"].endswith(f"/inventory/beheer/centra/{new.id}")
