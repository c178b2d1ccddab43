"""shared.guard.load_json, the one parser of every JSON request body: what it takes, what it refuses, and that
each refusal names the problem (and, for a value, where it is)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.guard import MAX_JSON_DEPTH, MAX_JSON_INT, JSONRefusal, load_json


def refusal(data: bytes | str) -> JSONRefusal:
    with pytest.raises(JSONRefusal) as caught:
        load_json(data)
    return caught.value


def nested(levels: int) -> str:
    return '{"a":' * (levels - 1) + "[" + "]" + "}" * (levels - 1)


def test_nesting_up_to_the_limit_is_taken_one_more_level_is_a_400():
    assert load_json(nested(MAX_JSON_DEPTH)) is not None
    too_deep = refusal(nested(MAX_JSON_DEPTH + 1))
    assert (too_deep.status, too_deep.problem) == (400, "json-too-deep")


def test_the_careful_reading_keeps_the_same_depth_limit():
    # a 19-digit number sends the body down the slower path that also looks at every value
    levels, number = MAX_JSON_DEPTH + 1, "1234567890123456789"
    assert refusal('{"a":' * levels + number + "}" * levels).problem == "json-too-deep"
    assert load_json('{"a":' * (MAX_JSON_DEPTH - 1) + f"[{number}]" + "}" * (MAX_JSON_DEPTH - 1)) is not None


@pytest.mark.parametrize("levels", [1_000, 100_000, 1_000_000])
def test_nesting_beyond_what_the_parser_can_recurse_is_the_same_400_not_a_recursion_error(levels):
    assert refusal("[" * levels + "]" * levels).problem == "json-too-deep"


def test_integers_within_64_bits_are_taken_and_larger_ones_are_named_by_their_pointer():
    assert load_json(json.dumps({"n": [MAX_JSON_INT, -MAX_JSON_INT - 1]})) == {"n": [MAX_JSON_INT, -MAX_JSON_INT - 1]}
    out_of_range = refusal('{"items": [{"quantity": 9223372036854775808}], "b": -9223372036854775809}')
    assert out_of_range.status == 422
    assert sorted(e["pointer"] for e in out_of_range.errors or []) == ["#/b", "#/items/0/quantity"]
    assert {e["in"] for e in out_of_range.errors or []} == {"body"}


def test_more_digits_than_python_converts_is_a_422_not_a_value_error():
    # int("9" * 5000) raises ValueError (Python's 4,300-digit limit); the guard never tries it
    assert refusal('{"quantity": ' + "9" * 5000 + "}").errors[0]["field"] == "quantity"  # type: ignore[index]


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1." + "0" * 60])
def test_floats_that_are_infinite_or_absurdly_long_are_refused(number):
    assert refusal(f"[{number}]").errors[0]["pointer"] == "#/0"  # type: ignore[index]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    assert refusal(f'{{"x": {constant}}}').status == 400


def test_unpaired_surrogates_in_text_or_names_are_named():
    bad = refusal('{"initiative": "Buurt\\ud800feest", "\\udfff": 1}')
    assert sorted(e["field"] for e in bad.errors or []) == ["initiative", "\udfff"]
    assert load_json('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "😀"}  # a pair is a character


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"a": "\xc3"}', "\ufeff{}", "{", "", "[1,]"])
def test_what_is_not_utf8_json_is_a_400(body):
    assert refusal(body).status == 400


def test_the_pointer_escapes_slashes_and_tildes():
    [error] = refusal('{"a/b": {"c~d": 1e999}}').errors or []
    assert error["pointer"] == "#/a~1b/c~0d"


def test_a_body_full_of_bad_numbers_names_the_first_twenty():
    assert len(refusal("[" + ",".join(["1e999"] * 500) + "]").errors or []) == 20


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@given(JSON)
@settings(max_examples=200, deadline=None)
def test_any_json_value_within_the_limits_reads_back_as_itself(value):
    assert load_json(json.dumps(value)) == value


def test_the_apps_json_provider_still_reads_flasks_own_signed_session_with_its_tags():
    from datetime import UTC, datetime

    from flask import Flask

    from shared.guard import init_guard

    app = Flask("probe")
    app.secret_key = "probe-secret-key-long-enough-0123456789"
    init_guard(app)
    moment = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)

    @app.get("/set")
    def set_session() -> str:
        from flask import session

        session["when"], session["pair"] = moment, ("a", b"b")
        return "ok"

    @app.get("/get")
    def get_session() -> str:
        from flask import session

        return repr((session["when"] == moment, session["pair"]))

    client = app.test_client()
    client.get("/set")
    assert client.get("/get").text == "(True, ('a', b'b'))"
