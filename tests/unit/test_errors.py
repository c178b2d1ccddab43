from shared.errors import coded, pointer_for, problem_errors, schema_code, validation_errors


def test_nested_marshmallow_messages_become_one_entry_per_field():
    messages = {
        "json": {"items": {0: {"quantity": ["Must be at least 1."]}}, "code": ["Missing data."]},
        "query": {"page": ["Not a valid integer."]},
    }
    errors = problem_errors(validation_errors(messages))
    assert {
        "field": "items.0.quantity",
        "pointer": "#/items/0/quantity",
        "in": "body",
        "code": "invalid",
        "detail": "Must be at least 1.",
    } in errors
    assert {
        "field": "page",
        "pointer": "#/page",
        "in": "query",
        "code": "integer_invalid",
        "detail": "Not a valid integer.",
    } in errors
    assert len(errors) == 3


def test_marshmallow_messages_get_codes_and_parameters():
    assert schema_code("Missing data for required field.") == ("required", {})
    assert schema_code("Longer than maximum length 200.") == ("too_long", {"max": 200})
    assert schema_code("Length must be between 1 and 200.") == ("length_between", {"min": 1, "max": 200})
    assert schema_code("Must be greater than or equal to 1 and less than or equal to 1000.") == (
        "between",
        {"min": 1, "max": 1000},
    )
    assert schema_code(coded("phone_invalid_test", "Not a phone number (test).")) == ("phone_invalid_test", {})
    assert schema_code("Something nobody registered.") == ("invalid", {})


def test_pointer_escapes_slashes_and_tildes():
    assert pointer_for("a/b.c~d") == "#/a~1b/c~0d"
