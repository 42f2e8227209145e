"""The Celery app. Tasks live in the apps (``flows/tasks.py`` ...) and take ids, never objects."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sharespine.settings")

app = Celery("sharespine")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Worker and beat log through settings.LOGGING (which redacts secrets), not Celery's own handler."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@signals.worker_init.connect
@signals.beat_init.connect
def verify_encryption_keys(**kwargs) -> None:
    """A wrong ENCRYPTION_KEYS stops worker and beat with one line, before a flow fails on it."""
    from sharespine.customers.keycheck import verify_or_stop

    verify_or_stop()


@signals.worker_ready.connect
@signals.worker_process_init.connect
def freeze_startup_objects(**kwargs) -> None:
    """What a worker loads to start (Django, Celery, the apps: some 120,000 objects) lives as long
    as the process. Moved out of the cyclic collector's sight, a full collection during a run walks
    only what the run made: in bench.orders_e2e a full collection took about 0.3 s, four times per
    thousand orders."""
    import gc

    gc.collect()
    gc.freeze()
