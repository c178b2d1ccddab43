"""Texts that reach a mail header or a one-line display refuse control characters at input, with a 422 that
names the field; e-mail addresses are checked by email-validator and stored normalised.

A CR, LF or VT in a name used to be accepted and stored, and the mail built from it failed later (or split a
header). The rule is written once (``shared.fields.single_line_problem``); these tests send every kind of
forbidden character to every one-line field of the inventory and booking APIs, and through the staff pages.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.auth import SESSION_COOKIE
from shared.fields import single_line_problem
from tests.booking_fixtures import at, request_body, staff_cookie
from tests.support.forms import csrf_token

# Every character the rule refuses: the C0 and C1 controls (CR, LF, VT, FF, NUL, NEL, …), DEL, the Unicode
# line and paragraph separators, and format characters such as the bidi overrides and the BOM.
FORBIDDEN = st.one_of(
    st.characters(categories=["Cc"]),
    st.sampled_from(["\u2028", "\u2029", "\u202e", "\u2066", "\u200e", "\ufeff", "\u00ad", "\u061c"]),
)
HYPOTHESIS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def with_char(text: str, char: str, where: int) -> str:
    cut = where % (len(text) + 1)
    return text[:cut] + char + text[cut:]


def fields_named(response: Any) -> list[str]:
    assert response.status_code == 422, (response.status_code, response.get_json())
    return [error["field"] for error in response.json["errors"]]


def test_the_rule_refuses_every_control_and_format_character_and_keeps_the_rest():
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        refused = single_line_problem(char) is not None
        if category in ("Cc", "Cs", "Zl", "Zp"):
            assert refused, hex(code)
        elif category == "Cf":
            # zero-width (non-)joiners shape words and emoji; tags spell subdivision flags
            assert refused == (char not in "\u200c\u200d" and not 0xE0020 <= code < 0xE0080), hex(code)
        else:
            assert not refused, hex(code)
    assert single_line_problem("Buurtcentrum Sluizeken – naaiatelier 🧵") is None


@pytest.fixture
def admin_inventory(inventory_admin: FlaskClient, staff_account: dict[str, Any]) -> FlaskClient:
    return inventory_admin


INVENTORY_CASES = [
    ("/locations", "name"),
    ("/locations", "street"),
    ("/locations", "city"),
    ("/locations", "phone"),
    ("/requirements", "label_nl"),
    ("/requirements", "label_en"),
    ("/assets", "name_nl"),
    ("/assets", "name_en"),
    ("/auth/tokens", "name"),
]


def inventory_body(path: str, location_id: int) -> dict[str, Any]:
    return {
        "/locations": {"code": "bc-nieuw", "name": "BC Nieuw", "street": "Straat 1", "postal_code": "9000"},
        "/requirements": {"code": "trekhaak", "kind": "confirm", "label_nl": "Trekhaak", "label_en": "Tow hitch"},
        "/assets": {
            "code": "caravan",
            "name_nl": "Caravan",
            "name_en": "Caravan",
            "category": "caravan",
            "location_id": location_id,
        },
        "/auth/tokens": {"name": "agenda"},
    }[path]


@HYPOTHESIS
@given(case=st.sampled_from(INVENTORY_CASES), char=FORBIDDEN, where=st.integers(0, 40))
@example(case=("/assets", "name_nl"), char="\r", where=4)
@example(case=("/locations", "name"), char="\n", where=0)
def test_inventory_refuses_a_control_character_in_every_one_line_field(
    admin_inventory, staff_account, case, char, where
):
    path, field = case
    body = inventory_body(path, staff_account["location_id"])
    body[field] = with_char(str(body.get(field) or "09 266 00 02"), char, where)
    assert fields_named(admin_inventory.post(path, json=body)) == [field]


BOOKING_FIELDS = ("initiative", "contact.name", "contact.phone", "contact.email")


@HYPOTHESIS
@given(field=st.sampled_from(BOOKING_FIELDS), char=FORBIDDEN, where=st.integers(0, 40))
@example(field="contact.email", char="\x0b", where=2)
@example(field="contact.email", char="\r\n", where=1)
def test_booking_refuses_a_control_character_in_every_one_line_field(feed, booking_client, field, char, where):
    body = request_body(1, at(1, 10), at(1, 15))
    body["contact"]["phone"] = "09 266 00 02"
    parent, _, name = field.rpartition(".")
    target = body[parent] if parent else body
    target[name] = with_char(target[name], char, where)
    assert fields_named(booking_client.post("/requests", json=body)) == [field]


def test_a_quoted_local_part_with_a_vertical_tab_is_refused(feed, booking_client):
    body = request_body(1, at(1, 10), at(1, 15))
    body["contact"]["email"] = '"a\u000bb"@example.be'
    assert fields_named(booking_client.post("/requests", json=body)) == ["contact.email"]


def test_an_international_address_is_accepted_and_stored_normalised(feed, booking_client):
    asset = feed.asset(feed.location())
    body = request_body(asset, at(1, 10), at(1, 15))
    body["contact"]["email"] = "  élodie@BÜCHER.Example  "
    created = booking_client.post("/requests", json=body)
    assert created.status_code == 201, created.json
    link = created.json["status_url"]
    assert booking_client.get(link.removeprefix("/booking")).json["contact"]["email"] == "élodie@bücher.example"


def test_a_punycode_domain_is_stored_in_its_unicode_form(admin_inventory):
    body = {"code": "bc-idn", "name": "BC", "street": "Straat 1", "postal_code": "9000"}
    body["email"] = "Info@XN--Bcher-KVA.be"
    created = admin_inventory.post("/locations", json=body)
    assert created.status_code == 201, created.json
    assert created.json["email"].lower() == "info@bücher.be"


def test_the_staff_pages_refuse_a_carriage_return_in_an_asset_name_beside_the_field(
    environ, inventory_app, staff_account, feed
):
    from services.inventory.domain.assets import create_asset

    with feed.inventory_db.transaction() as session:
        asset = create_asset(
            session,
            {
                "code": "naaimachine",
                "name_nl": "Naaimachine",
                "name_en": "Sewing machine",
                "category": "sewing_machine",
                "location_id": staff_account["location_id"],
            },
            actor=None,
        )
        asset_id, version = asset.id, asset.version
    client = inventory_app.test_client()
    client.set_cookie(SESSION_COOKIE, staff_cookie([staff_account["location_id"]], staff_id=staff_account["id"]))
    form = {
        "csrf_token": csrf_token(client, environ["SECRET_KEY"]),
        "version": str(version),
        "name_nl": "Naai\rmachine",
        "name_en": "Sewing machine",
        "description_nl": "",
        "description_en": "",
        "quantity": "1",
        "lead_time_hours": "0",
        "min_loan_hours": "1",
        "max_loan_hours": "",
        "turnaround_after_hours": "0",
    }
    response = client.post(f"/beheer/materiaal/{asset_id}", data=form)
    assert response.status_code == 422
    assert "Eén regel" in response.get_data(as_text=True)
    assert client.get(f"/assets/{asset_id}").json["name_nl"] == "Naaimachine"
