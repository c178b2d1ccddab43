"""/booking/privacy: an administrator exports or erases one person's data (GDPR Art. 15 and 17), audited.

The person is named in the JSON body (never in the URL, so no address ends up in an access log) by exactly one
of ``email``, ``phone`` or ``request_id``. Notify holds copies too: ``POST /notify/privacy/export`` exports
them; an erasure here reaches notify through the ``booking.contact.anonymised`` event.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from services.booking import application
from services.booking.domain import privacy
from services.booking.domain.lifecycle import staff_actor
from services.booking.models import PrivacyAction
from shared.auth import require_admin, require_principal
from shared.db import get_session
from shared.http import paginate_query
from shared.openapi import problems
from shared.privacy import SubjectSchema
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("privacy", __name__, url_prefix="/privacy", description="GDPR: export and erase a person's data")


class EraseSchema(SubjectSchema):
    reason = ma.fields.String(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "Why (e.g. the request's date and channel); do not repeat the person's data"},
    )


class ContactExportSchema(ma.Schema):
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    language = ma.fields.String()


class RequirementExportSchema(ma.Schema):
    code = ma.fields.String()
    kind = ma.fields.String()
    answer = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean(allow_none=True)


class ItemExportSchema(ma.Schema):
    asset_id = ma.fields.Integer()
    quantity = ma.fields.Integer()
    requirements = ma.fields.List(ma.fields.Nested(RequirementExportSchema))


class AuditExportSchema(ma.Schema):
    at = ma.fields.String()
    action = ma.fields.String()
    actor_kind = ma.fields.String()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    reason = ma.fields.String(allow_none=True)


class LinkExportSchema(ma.Schema):
    created_at = ma.fields.String()
    expires_at = ma.fields.String()
    revoked_at = ma.fields.String(allow_none=True)


class InitiativeExportSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class RequestExportSchema(ma.Schema):
    request_id = ma.fields.Integer()
    reference = ma.fields.String()
    status = ma.fields.String()
    initiative = ma.fields.Nested(InitiativeExportSchema)
    contact = ma.fields.Nested(ContactExportSchema)
    purpose = ma.fields.String()
    location_id = ma.fields.Integer()
    pickup_at = ma.fields.String()
    return_at = ma.fields.String()
    actual_pickup_at = ma.fields.String(allow_none=True)
    actual_return_at = ma.fields.String(allow_none=True)
    proxy_consent = ma.fields.String(allow_none=True)
    pickup_checks = ma.fields.Dict(allow_none=True)
    return_condition = ma.fields.String(allow_none=True)
    damage = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    updated_at = ma.fields.String()
    anonymised_at = ma.fields.String(allow_none=True)
    items = ma.fields.List(ma.fields.Nested(ItemExportSchema))
    audit_trail = ma.fields.List(ma.fields.Nested(AuditExportSchema))
    status_links = ma.fields.List(ma.fields.Nested(LinkExportSchema))


class ExportOutSchema(ma.Schema):
    service = ma.fields.String()
    subject_kind = ma.fields.String()
    generated_at = ma.fields.String()
    requests = ma.fields.List(ma.fields.Nested(RequestExportSchema))


class EraseOutSchema(ma.Schema):
    anonymised = ma.fields.List(ma.fields.Integer(), metadata={"description": "ids of the requests anonymised now"})


class PrivacyActionOutSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    action = ma.fields.String()
    staff_id = ma.fields.Integer(allow_none=True)
    subject_kind = ma.fields.String(allow_none=True)
    subject_fingerprint = ma.fields.String(allow_none=True)
    request_ids = ma.fields.List(ma.fields.Integer())
    rows = ma.fields.Integer()
    reason = ma.fields.String(allow_none=True)
    details = ma.fields.Dict(allow_none=True)


@blp.route("/export", methods=["POST"])
@require_admin
@blp.arguments(SubjectSchema)
@blp.response(200, ExportOutSchema)
def export(data: dict[str, Any]) -> dict[str, Any]:
    """Admin: everything booking holds about one person, as JSON (audited)."""
    return application.export_person(get_session(), data["subject"], staff_actor(require_principal()))


@blp.route("/erase", methods=["POST"])
@require_admin
@blp.arguments(EraseSchema)
@blp.response(200, EraseOutSchema)
@problems(409)
def erase(data: dict[str, Any]) -> dict[str, Any]:
    """Admin: anonymise the person's requests now (audited; notify is told by event).

    409 ``open-requests`` naming the requests still pending or running: close them first.
    """
    actor = staff_actor(require_principal())
    return {"anonymised": application.erase_person(get_session(), data["subject"], actor, data["reason"])}


@blp.route("/actions")
@require_admin
@blp.response(200, PrivacyActionOutSchema(many=True))
@blp.paginate()
def actions(pagination_parameters: Any) -> list[PrivacyAction]:
    """Admin: the GDPR audit, newest first: exports, erasures and retention batches."""
    return paginate_query(get_session(), privacy.actions_query(), pagination_parameters)
