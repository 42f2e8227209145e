"""Django's admin autodiscovery imports ``<app>.admin``: the console's pages live in ``flows.console``."""

from flows.console import admin, initial_sync, items  # noqa: F401
