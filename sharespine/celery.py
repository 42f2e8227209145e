"""The Celery app. Tasks live in the apps (``flows/tasks.py`` ...) and take ids, never objects."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharespine.settings")

app = Celery("sharespine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
