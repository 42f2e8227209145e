"""The installed code plugins, found through the ``sharespine.plugins`` entry-point group.

Read once per process: installing a plugin means installing its package and restarting the
workers and the web process, as with any code change. A plugin that fails to load is named in
``broken()`` (and the admin), never a crash of the process that looked.
"""

from __future__ import annotations

import functools
import logging
from importlib.metadata import entry_points

from flows.plugins.api import ENTRY_POINT_GROUP, Plugin

log = logging.getLogger("flows.plugins")


@functools.cache
def _load() -> tuple[dict[str, type[Plugin]], dict[str, str]]:
    found: dict[str, type[Plugin]] = {}
    broken: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = entry.load()
            if not (isinstance(cls, type) and issubclass(cls, Plugin)):
                raise TypeError(f"{entry.value} is not a subclass of flows.plugins.api.Plugin")
            if cls.name != entry.name:
                raise TypeError(f"its class is named {cls.name!r}, the entry point {entry.name!r}")
            cls.version  # noqa: B018 - a plugin must declare one
        except Exception as exc:  # a broken package must not take the process down
            log.warning("plugin %s could not be loaded: %s", entry.name, exc)
            broken[entry.name] = f"{type(exc).__name__}: {exc}"
            continue
        found[entry.name] = cls
    return dict(sorted(found.items())), broken


def available() -> dict[str, type[Plugin]]:
    """Plugin name → class, for every plugin that loaded."""
    return _load()[0]


def broken() -> dict[str, str]:
    """Plugin name → why it did not load."""
    return _load()[1]


def forget() -> None:
    """Look again (after a package was installed into a running test process)."""
    _load.cache_clear()
