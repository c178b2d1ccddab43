"""The inventory's domain errors (mapped to problem+json by shared.errors)."""

from shared.errors import Conflict, InvalidInput, NotFound


class AssetNotFound(NotFound):
    problem = "asset-not-found"


class LocationNotFound(NotFound):
    problem = "location-not-found"


class RequirementNotFound(NotFound):
    problem = "requirement-not-found"


class MaintenanceWindowNotFound(NotFound):
    problem = "maintenance-window-not-found"


class DuplicateCode(Conflict):
    problem = "duplicate-code"


class AssetRetired(Conflict):
    problem = "asset-retired"


class UnknownReference(InvalidInput):
    """A field names a requirement, location or asset that does not exist."""
