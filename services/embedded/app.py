"""One WSGI app for the whole suite: each service mounted at its prefix, public pages at ``/``."""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.booking.app import create_app as create_booking
from services.inventory.app import create_app as create_inventory
from services.notify.app import create_app as create_notify

LANDING = """<!doctype html><html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Uitleen — Stad Gent</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
a{color:#0047ab}</style></head><body>
<h1>Uitleen</h1>
<p>Materiaal lenen voor je buurtinitiatief: de caravan doorgeefbazaar, de mobiele give-box, naaimachines,
Repair Café-koffers.</p>
<ul>
<li><a href="/inventory/assets">Wat kan je lenen? (catalogus, JSON)</a></li>
<li><a href="/inventory/docs">Inventaris-API</a> · <a href="/booking/docs">Reservatie-API</a> ·
<a href="/notify/docs">Berichten-API</a></li>
</ul></body></html>"""


def create_root_app() -> Flask:
    root = Flask("services.embedded")

    @root.get("/")
    def landing() -> Response:
        return Response(LANDING, mimetype="text/html")

    return root


def create_embedded_app() -> DispatcherMiddleware:
    return DispatcherMiddleware(
        create_root_app(),
        {"/inventory": create_inventory(), "/booking": create_booking(), "/notify": create_notify()},
    )
