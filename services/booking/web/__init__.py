"""The booking service's web pages: the public catalogue, request form and status page, and the staff's pages.

A small Flask app of its own (``create_pages_app``), served at ``/`` beside the JSON API at ``/booking``. The
pages call booking's domain functions directly: validation, conflicts and the lifecycle live there only.
"""

from __future__ import annotations

from services.booking.web.app import create_pages_app

__all__ = ["create_pages_app"]
