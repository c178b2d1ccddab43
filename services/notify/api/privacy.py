"""/notify/privacy/export: an administrator exports what notify holds about one person (GDPR Art. 15), audited.

The person is named in the JSON body by exactly one of ``email``, ``phone`` or ``request_id`` (as at
``POST /booking/privacy/export``). Erasure is booking's: its ``booking.contact.anonymised`` event blanks
notify's copies.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from services.notify import application
from shared.auth import require_admin, require_principal
from shared.db import get_session
from shared.privacy import SubjectSchema
from shared.web import ApiBlueprint as Blueprint

blp = Blueprint("privacy", __name__, url_prefix="/privacy", description="GDPR: export a person's data")


class NotificationExportSchema(ma.Schema):
    request_id = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String()
    status = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    recipient = ma.fields.String(allow_none=True)
    language = ma.fields.String(allow_none=True)
    due_at = ma.fields.String()
    sent_at = ma.fields.String(allow_none=True)


class BookingCopyExportSchema(ma.Schema):
    request_id = ma.fields.Integer()
    reference = ma.fields.String()
    status = ma.fields.String()
    contact_email = ma.fields.String(allow_none=True)
    language = ma.fields.String()
    snapshot = ma.fields.Dict(metadata={"description": "the last booking event's payload (docs/events.md)"})


class CapturedMailExportSchema(ma.Schema):
    recipient = ma.fields.String()
    subject = ma.fields.String()
    text = ma.fields.String()
    captured_at = ma.fields.String()


class NotifyExportOutSchema(ma.Schema):
    service = ma.fields.String()
    subject_kind = ma.fields.String()
    generated_at = ma.fields.String()
    bookings = ma.fields.List(ma.fields.Nested(BookingCopyExportSchema))
    notifications = ma.fields.List(ma.fields.Nested(NotificationExportSchema))
    captured_mails = ma.fields.List(ma.fields.Nested(CapturedMailExportSchema))


@blp.route("/export", methods=["POST"])
@require_admin
@blp.arguments(SubjectSchema)
@blp.response(200, NotifyExportOutSchema)
def export(data: dict[str, Any]) -> dict[str, Any]:
    """Admin: the person's booking copies, notifications and captured mails, as JSON (audited)."""
    return application.export_person(get_session(), data["subject"], require_principal().staff_id)
