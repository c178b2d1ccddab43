"""The management pages' forms: a malformed hidden field is a stale form, never a 500."""

from __future__ import annotations

from shared.auth import SESSION_COOKIE, Principal, sign_session
from tests.booking_fixtures import SECRET
from tests.factories import asset_data, requirement_data
from tests.support.forms import csrf_token


def test_a_form_with_a_malformed_version_is_treated_as_stale(inventory_app, inventory_db, staff_account):
    # Found by the authorisation matrix: int("v1") on the hidden version field was a 500.
    from services.inventory.domain.assets import create_asset
    from services.inventory.domain.requirements import create_requirement

    with inventory_db.transaction() as session:
        requirement = create_requirement(session, requirement_data(), actor=None).id
        asset = create_asset(session, asset_data(staff_account["location_id"]), actor=None).id
    client = inventory_app.test_client()
    admin = Principal(staff_id=1, name="Admin", role="admin", location_ids=frozenset())
    client.set_cookie(SESSION_COOKIE, sign_session(SECRET, admin))
    token = csrf_token(client, SECRET)
    labels = {"label_nl": "Trekhaak", "label_en": "Tow hitch", "version": "v1", "csrf_token": token}
    numbers = dict.fromkeys(("quantity", "lead_time_hours", "min_loan_hours", "turnaround_after_hours"), "1")
    names = {"name_nl": "Caravan", "name_en": "Caravan", "max_loan_hours": "", "version": "1e9", "csrf_token": token}
    for path, form in ((f"/beheer/voorwaarden/{requirement}", labels), (f"/beheer/materiaal/{asset}", names | numbers)):
        response = client.post(path, data=form)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        page = client.get(response.headers["Location"].removeprefix("/inventory")).get_data(as_text=True)
        assert "flash-error" in page
