"""The inventory's domain errors (mapped to problem+json by shared.errors)."""

from collections.abc import Iterable, Mapping
from typing import Any

from shared.errors import Conflict, InvalidInput, NotFound
from shared.fields import single_line_problem


class AssetNotFound(NotFound):
    problem = "asset-not-found"


class LocationNotFound(NotFound):
    problem = "location-not-found"


class RequirementNotFound(NotFound):
    problem = "requirement-not-found"


class MaintenanceWindowNotFound(NotFound):
    problem = "maintenance-window-not-found"


class ClosureNotFound(NotFound):
    problem = "closure-not-found"


class DuplicateCode(Conflict):
    problem = "duplicate-code"


class AssetRetired(Conflict):
    problem = "asset-retired"


class UnknownReference(InvalidInput):
    """A field names a requirement, location or asset that does not exist."""


def check_one_line(data: Mapping[str, Any], fields: Iterable[str]) -> None:
    """Raises InvalidInput naming the first of ``fields`` in ``data`` that is not a single line.

    The API's schemas refuse these already (``shared.fields.SingleLine``); the staff pages hand form text to
    the domain directly, so the rule is asked here too, from the same function.
    """
    for name in fields:
        value = data.get(name)
        if isinstance(value, str) and single_line_problem(value):
            raise InvalidInput(code="single_line", field=name)
