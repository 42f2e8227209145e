"""WSGI entry point (waitress/gunicorn: sharespine.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharespine.settings")

application = get_wsgi_application()

from sharespine.customers.keycheck import verify_or_stop  # noqa: E402 - needs the apps loaded

# A wrong ENCRYPTION_KEYS stops the server with one line, before any page answers 500.
verify_or_stop()
