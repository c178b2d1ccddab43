"""gunicorn entry point: ``gunicorn services.booking.wsgi:app``: the pages at ``/`` and the API at ``/booking``.

Both share one Database (one connection pool per process).
"""

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from services.booking.app import create_app
from services.booking.web import create_pages_app
from shared.config import load_settings
from shared.db import Database

settings = load_settings("booking")
database = Database(settings.database_url)
app = DispatcherMiddleware(create_pages_app(settings, database), {"/booking": create_app(settings, database)})
