"""One hook of one plugin, run on copies of plain records, with a time limit; its answer checked.

The plugin gets deep copies, so nothing it keeps or changes reaches the flow except what it
returns. It runs in a thread of its own: a plugin that hangs is abandoned after the time limit
(Python cannot stop a thread; it lives on as a daemon until it returns), and the item is parked.
What comes back must be the same kind of record; ``check`` turns it into the flow's typed record
or says why it cannot.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class PluginFailed(Exception):
    """A plugin raised, ran out of time or returned something unusable; the message says which."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"plugin {name} failed: {message}")
        self.name = name
        self.message = message


def call(name: str, hook: Callable[..., Any], records: tuple[Any, ...], time_limit: float) -> Any:
    """``hook(*copies of records)``, within ``time_limit`` seconds."""
    copies = copy.deepcopy(records)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = hook(*copies)
        except BaseException as exc:  # whatever the plugin raised (even SystemExit) is its failure
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"plugin-{name}", daemon=True)
    thread.start()
    thread.join(time_limit)
    if thread.is_alive():
        raise PluginFailed(name, f"no answer within {time_limit:g} s")
    if "error" in outcome:
        exc = outcome["error"]
        raise PluginFailed(name, f"{type(exc).__name__}: {exc}")
    return outcome["value"]


def check(name: str, value: Any, convert: Callable[[Any], T], what: str) -> T:
    """The plugin's answer as the flow's record; anything it cannot be parks the item."""
    try:
        return convert(value)
    except Exception as exc:
        raise PluginFailed(name, f"it returned an invalid {what}: {exc}") from None
