"""The embedded default (``make run``): the three services under one WSGI dispatcher, a worker and beat beside.

Same code as production, other settings: SQLite files under var/, kombu's SQLAlchemy transport on SQLite as the
broker, e-mail captured locally.
"""
