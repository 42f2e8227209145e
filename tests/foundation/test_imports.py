"""Every module of the project imports: a moved module or a stale import fails here, not in a
process that only `make run` or a worker starts."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("flows", "sharespine", "connectors", "reconciliation", "bench")


def modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


@pytest.mark.django_db  # the WSGI module checks the stored secrets open at import
@pytest.mark.parametrize("module", modules())
def test_module_imports(module):
    importlib.import_module(module)
