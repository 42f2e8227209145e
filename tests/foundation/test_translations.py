"""Every page exists in Swedish and English: the catalogue covers the code, is compiled, and switches."""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "sv" / "LC_MESSAGES"
SOURCES = ["manage.py", "sharespine", "flows", "connectors", "reconciliation", "locale"]
FIX = (
    "run `python manage.py makemessages -l sv --no-obsolete -i .venv -i var -i tests -i bench`, "
    "translate the new entries in locale/sv/LC_MESSAGES/django.po, then "
    "`python manage.py compilemessages -l sv -i .venv -i var`"
)


@pytest.fixture(autouse=True)
def gettext_tools():
    for tool in ("xgettext", "msgmerge", "msgattrib", "msgfmt"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: apt-get install gettext (.ci/run does)")


def _run(*args: str, cwd: Path, **env: str) -> str:
    result = subprocess.run(
        args, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _msgids(po_text: str) -> list[str]:
    """Catalogue keys (as Django's merged catalogue stores them) of the entries in ``po_text``."""
    keys, context = [], None
    for line in po_text.splitlines():
        if line.startswith("msgctxt "):
            context = ast.literal_eval(line[len("msgctxt ") :])
        elif line.startswith("msgid ") and line != 'msgid ""':
            msgid = ast.literal_eval(line[len("msgid ") :])
            keys.append(f"{context}\x04{msgid}" if context else msgid)
            context = None
    return keys


def test_every_message_in_the_code_has_a_swedish_translation(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    _run(
        sys.executable,
        "manage.py",
        "makemessages",
        "-l",
        "sv",
        "--no-obsolete",
        cwd=tmp_path,
        VAR_DIR=str(tmp_path / "var"),
    )
    po = tmp_path / "locale" / "sv" / "LC_MESSAGES" / "django.po"
    # A fuzzy guess counts as untranslated: it is hidden from users and usually wrong.
    cleared = _run("msgattrib", "--no-wrap", "--clear-fuzzy", "--empty", str(po), "-o", "-", cwd=tmp_path)
    (tmp_path / "cleared.po").write_text(cleared, encoding="utf-8")
    untranslated = _run("msgattrib", "--no-wrap", "--untranslated", "cleared.po", "-o", "-", cwd=tmp_path)

    # Strings that Django or an installed app already translates (e.g. "Django site admin") are fine.
    merged = trans_real.translation("sv")._catalog
    missing = [msgid for msgid in _msgids(untranslated) if msgid not in merged and (msgid, 0) not in merged]
    assert not missing, f"no Swedish for {missing}; {FIX}"


def test_compiled_catalogue_matches_its_source(tmp_path):
    _run("msgfmt", "-o", str(tmp_path / "django.mo"), str(CATALOGUE / "django.po"), cwd=tmp_path)
    with open(tmp_path / "django.mo", "rb") as fresh, open(CATALOGUE / "django.mo", "rb") as committed:
        fresh_catalogue = gettext.GNUTranslations(fresh)._catalog
        committed_catalogue = gettext.GNUTranslations(committed)._catalog
    assert committed_catalogue == fresh_catalogue, f"django.mo is stale; {FIX}"


@pytest.mark.django_db
def test_admin_and_dashboard_switch_between_swedish_and_english(client, consultant):
    client.force_login(consultant)
    admin_index = reverse("admin:index")
    swedish = client.get(admin_index).content.decode()
    assert "Handlare" in swedish and "Konfiguration och synkloggar" in swedish

    response = client.post(reverse("set_language"), {"language": "en", "next": admin_index})
    assert response.status_code == 302
    english = client.get(admin_index).content.decode()
    assert "Merchants" in english and "Configuration and sync logs" in english
    assert "Handlare" not in english
    assert '<html lang="en"' in client.get(reverse("dashboard:home")).content.decode()

    client.post(reverse("set_language"), {"language": "sv", "next": admin_index})
    assert "Handlare" in client.get(admin_index).content.decode()
