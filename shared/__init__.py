"""Infrastructure common to the Uitleen services: configuration, database, errors, events, auth, logging.

Nothing in here knows about any one service, and nothing here imports from ``services``.
"""
