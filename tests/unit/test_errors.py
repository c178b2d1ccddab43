from shared.errors import pointer_for, validation_errors


def test_nested_marshmallow_messages_become_one_entry_per_field():
    messages = {
        "json": {"items": {0: {"quantity": ["Must be at least 1."]}}, "code": ["Missing data."]},
        "query": {"page": ["Not a valid integer."]},
    }
    errors = validation_errors(messages)
    assert {
        "field": "items.0.quantity",
        "pointer": "#/items/0/quantity",
        "in": "body",
        "detail": "Must be at least 1.",
    } in errors
    assert {"field": "page", "pointer": "#/page", "in": "query", "detail": "Not a valid integer."} in errors
    assert len(errors) == 3


def test_pointer_escapes_slashes_and_tildes():
    assert pointer_for("a/b.c~d") == "#/a~1b/c~0d"
