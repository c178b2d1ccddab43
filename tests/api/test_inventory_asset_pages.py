"""A new asset and retiring one from the management pages, by the asset's centre's staff or an administrator.
On the embedded default (SQLite) and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from services.inventory.models import Asset
from tests.api.test_inventory_centre_pages import centre, hidden, logged_in
from tests.support.embedded import Embedded


def asset(demo_suite: Embedded, code: str) -> Asset | None:
    with demo_suite.databases["inventory"].session_factory() as session:
        row = session.scalar(sa.select(Asset).where(Asset.code == code))
        if row is not None:
            session.expunge(row)
        return row


def new_asset_form(html: str, location_id: int, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "code": "bakfiets-dampoort",
        "name_nl": "Bakfiets",
        "name_en": "Cargo bike",
        "description_nl": "Een bakfiets voor je buurtfeest.",
        "description_en": "A cargo bike for your street party.",
        "category": "vehicle",
        "location_id": str(location_id),
        "quantity": "2",
        "lead_time_hours": "24",
        "min_loan_hours": "2",
        "max_loan_hours": "48",
        "turnaround_after_hours": "1",
        "public": "yes",
    }
    return {**form, **changes}


def test_a_centres_staff_member_adds_an_asset_and_a_mistake_keeps_the_input(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    dampoort = centre(demo_suite, "bc-dampoort")
    page = client.get("/inventory/beheer/materiaal/nieuw")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'<option value="{dampoort.id}"' in html
    assert f'<option value="{centre(demo_suite, "bc-bloemekenswijk").id}"' not in html  # not one of theirs
    wrong = client.post(
        "/inventory/beheer/materiaal/nieuw",
        data=new_asset_form(html, dampoort.id, code="Bakfiets!", min_loan_hours="twee"),
    )
    page_text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422
    assert 'id="min_loan_hours-fout">Geef een geheel getal.' in page_text
    assert 'value="Bakfiets!"' in page_text and "Een bakfiets voor je buurtfeest." in page_text
    bad_code = client.post("/inventory/beheer/materiaal/nieuw", data=new_asset_form(html, dampoort.id, code="B!"))
    assert bad_code.status_code == 422 and 'id="code-fout">Gebruik 2 tot 40' in bad_code.get_data(as_text=True)
    taken = client.post(
        "/inventory/beheer/materiaal/nieuw", data=new_asset_form(html, dampoort.id, code="caravan-doorgeefbazaar")
    )
    assert taken.status_code == 422 and 'id="code-fout">Die code is al in gebruik.' in taken.get_data(as_text=True)
    assert asset(demo_suite, "bakfiets-dampoort") is None
    added = client.post("/inventory/beheer/materiaal/nieuw", data=new_asset_form(html, dampoort.id))
    assert added.status_code == 303, added.get_data(as_text=True)[:500]
    new = asset(demo_suite, "bakfiets-dampoort")
    assert new is not None and (new.location_id, new.quantity, new.max_loan_hours) == (dampoort.id, 2, 48)
    assert added.headers["Location"].endswith(f"/inventory/beheer/materiaal/{new.id}")


def test_another_centres_staff_member_cannot_add_an_asset_there_or_retire_one(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "bloemekenswijk@uitleen.demo")
    html = client.get("/inventory/beheer/materiaal/nieuw").get_data(as_text=True)
    dampoort = centre(demo_suite, "bc-dampoort")
    refused = client.post("/inventory/beheer/materiaal/nieuw", data=new_asset_form(html, dampoort.id))
    assert refused.status_code == 403
    assert "Je kan alleen aanpassen wat bij je eigen buurtcentrum hoort." in refused.get_data(as_text=True)
    assert asset(demo_suite, "bakfiets-dampoort") is None
    caravan = asset(demo_suite, "caravan-doorgeefbazaar")
    assert caravan is not None
    form = {"csrf_token": hidden(html, "csrf_token"), "confirm": "yes", "version": str(caravan.version)}
    answer = client.post(f"/inventory/beheer/materiaal/{caravan.id}/uit-gebruik", data=form)
    assert answer.status_code == 403
    assert asset(demo_suite, "caravan-doorgeefbazaar").status == "active"  # type: ignore[union-attr]


def test_retiring_asks_for_the_confirmation_and_then_retires(demo_suite: Embedded) -> None:
    client = logged_in(demo_suite, "dampoort@uitleen.demo")
    caravan = asset(demo_suite, "caravan-doorgeefbazaar")
    assert caravan is not None
    html = client.get(f"/inventory/beheer/materiaal/{caravan.id}").get_data(as_text=True)
    form = {"csrf_token": hidden(html, "csrf_token"), "version": str(caravan.version)}
    unconfirmed = client.post(f"/inventory/beheer/materiaal/{caravan.id}/uit-gebruik", data=form)
    assert unconfirmed.status_code == 422
    assert 'id="confirm-fout">Vink aan dat je dit materiaal' in unconfirmed.get_data(as_text=True)
    assert asset(demo_suite, "caravan-doorgeefbazaar").status == "active"  # type: ignore[union-attr]
    stale = client.post(
        f"/inventory/beheer/materiaal/{caravan.id}/uit-gebruik",
        data={**form, "confirm": "yes", "version": str(caravan.version - 1)},
    )
    assert stale.status_code == 303
    assert "Iemand anders heeft dit intussen aangepast" in client.get(stale.headers["Location"]).get_data(as_text=True)
    assert asset(demo_suite, "caravan-doorgeefbazaar").status == "active"  # type: ignore[union-attr]
    retired = client.post(f"/inventory/beheer/materiaal/{caravan.id}/uit-gebruik", data={**form, "confirm": "yes"})
    assert retired.status_code == 303
    page = client.get(retired.headers["Location"]).get_data(as_text=True)
    assert "Dit materiaal is nu uit gebruik" in page and "uit-gebruik-titel" not in page
    assert asset(demo_suite, "caravan-doorgeefbazaar").status == "retired"  # type: ignore[union-attr]
