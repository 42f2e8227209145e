"""The field map against the real ADK header: every name exists there, with the same type.

``adk-constants.tsv`` (name, value, type comment) was read from the public ``Adk.h``; a copy lives
beside ``fields.py`` so the test needs nothing outside the repository.
"""

from __future__ import annotations

from pathlib import Path

from connectors.visma.agent import fields as F

HEADER = Path(F.__file__).with_name("adk-constants.tsv")


def _header() -> dict[str, tuple[int, str]]:
    constants = {}
    for line in HEADER.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, value, kind = (line.split("\t") + [""])[:3]
        constants[name] = (int(value), kind)
    return constants


HEADER_CONSTANTS = _header()


def test_the_copy_is_the_whole_header():
    assert len(HEADER_CONSTANTS) > 1500
    assert HEADER_CONSTANTS["ADK_DB_ORDER_HEAD"] == (2, "")
    assert HEADER_CONSTANTS["ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER"][1] == "eChar"


def test_every_table_and_field_is_in_the_header_with_its_type():
    problems = [f"{db}: not an ADK table" for db in F.TABLES if db not in HEADER_CONSTANTS]
    checked = 0
    for table in F.TABLES.values():
        for field in table.fields.values():
            checked += 1
            if field.name not in HEADER_CONSTANTS:
                problems.append(f"{table.db}: {field.name} is not an ADK constant")
            elif (found := HEADER_CONSTANTS[field.name][1]) != F.ADK_TYPES[field.type]:
                problems.append(f"{field.name}: {F.ADK_TYPES[field.type]} in the map, {found} in the header")
    assert problems == []
    assert checked > 300  # the whole map (order and invoice tables share their field names)


def test_the_settings_tables_have_no_timestamp():
    assert F.PRM.timestamp is None and F.PRM2.timestamp is None
    assert F.ARTICLE.timestamp == "ADK_ARTICLE_TIMESTAMP"
