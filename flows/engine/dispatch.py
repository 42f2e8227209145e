"""Hand work to a Celery task by its name, once the current transaction has committed.

Modules below the task layer (the initial sync, say) queue work through this rather than by
importing ``flows.tasks``, which imports them: the task names are the contract.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction


def later(task: str, *args: object, queue: str) -> None:
    """Send ``task(*args)`` to ``queue`` after commit: a worker never sees a row that is not there yet."""
    # By the registry rather than send_task: the same path (eager mode in tests included) as calling
    # the task object; reading ``tasks`` finalizes the app, which imports the autodiscovered modules.
    transaction.on_commit(lambda: current_app.tasks[task].apply_async(args, queue=queue))
