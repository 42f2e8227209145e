"""A shop and a Visma agent on loopback (as for the flows), and a misbehaving plugin package
installed the way any plugin package is: a distribution whose entry point names it."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.plugins import discovery
from tests.flows.conftest import _shop, agent, integration, prefix, shop  # noqa: F401
from tests.flows.test_catalogue_flows import articles  # noqa: F401

MISBEHAVING = '''
import time

from flows.plugins.api import Plugin, Setting


class Misbehaving(Plugin):
    """Per payment method: raise, hang, return garbage or a document without rows; else nothing."""

    name = "misbehaving"
    version = "0.1"
    settings_schema = {"modes": Setting(dict, required=True)}

    def order_mapped(self, order, document):
        mode = self.settings["modes"].get(order["payment_method"])
        if mode == "raise":
            raise RuntimeError("boom")
        if mode == "hang":
            time.sleep(5)
        if mode == "garbage":
            return "garbage"
        if mode == "no_rows":
            return {**document, "rows": "none"}
        if mode == "reference":
            return {**document, "reference": "other"}
        return document

    def document_created(self, order, document):
        if self.settings["modes"].get(order["payment_method"]) == "after":
            raise RuntimeError("late boom")
        return [f"seen {document['kind']} {document['number']}"]
'''
MODES = {"Raise": "raise", "Hang": "hang", "Garbage": "garbage", "NoRows": "no_rows", "Ref": "reference"}


def install_misbehaving(folder: Path) -> Path:
    """A package ``misbehaving_plugins`` with its dist-info, as pip would leave it in site-packages."""
    (folder / "misbehaving_plugins.py").write_text(textwrap.dedent(MISBEHAVING))
    info = folder / "misbehaving_plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: misbehaving-plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[sharespine.plugins]\nmisbehaving = misbehaving_plugins:Misbehaving\n"
    )
    return folder


@pytest.fixture
def misbehaving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "site").mkdir()
    folder = install_misbehaving(tmp_path / "site")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))  # for a worker this test starts
    discovery.forget()
    yield folder
    sys.modules.pop("misbehaving_plugins", None)
    monkeypatch.undo()
    discovery.forget()
