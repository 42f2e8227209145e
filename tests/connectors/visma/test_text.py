"""Windows-1252: transliterate what it cannot hold, trim free text, never store "?" silently."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from connectors.errors import PermanentError
from connectors.visma import protocol as P
from connectors.visma.agent.text import prepare, to_cp1252


@pytest.mark.parametrize(
    ("text_case", "value", "expected"),
    [
        ("swedish_kept", "Åsa Öberg, Väst", "Åsa Öberg, Väst"),
        ("cp1252_punctuation_kept", "€ – ’ “x” … Œ Ž", "€ – ’ “x” … Œ Ž"),
        ("polish", "Łukasz Żółć", "Lukasz Zólc"),
        ("hungarian_turkish", "Őrség Ğ ı", "Orség G i"),
        ("emoji_dropped", "Tack 😀!", "Tack !"),
        ("arrows_and_dashes", "a → b − c", "a -> b - c"),
        ("decomposed_input", "A\u030angström", "Ångström"),
        ("greek_dropped", "Ωmega", "mega"),
        ("nul_dropped", "Ord\x00er", "Order"),  # would end the C string inside the ADK
    ],
)
def test_transliteration(text_case, value, expected):
    result = to_cp1252(value)
    assert result == expected
    result.encode("cp1252")
    assert "?" not in result


def test_changes_are_logged_and_reported(caplog):
    warnings: list[str] = []
    with caplog.at_level("INFO", logger="connectors.visma.agent.text"):
        value = prepare("Łódź " * 20, field="ADK_CUSTOMER_NAME", length=50, trim=True, warnings=warnings)
    assert value == ("Lódz " * 10).rstrip()
    assert len(warnings) == 2
    assert "transliterated" in warnings[0] and "trimmed from 100 to 50" in warnings[1]
    assert "ADK_CUSTOMER_NAME" in caplog.text


def test_customer_text_over_http(client, unique):
    created = client.create_customer(
        P.CustomerInput(
            number=f"T{unique}",
            name="Łukasz Żółć 😀 " + "x" * 60,
            email=f"{unique}@example.se",
            city="Kraków",
        ),
        uuid.uuid4().hex,
    )
    assert created.name == ("Lukasz Zólc  " + "x" * 60)[:50]
    assert created.city == "Kraków"
    assert any("trimmed" in w for w in created.warnings)
    assert any("transliterated" in w for w in created.warnings)
    assert [c.number for c in client.find_customers(email=f"{unique}@example.se")] == [f"T{unique}"]


def test_long_row_text_is_trimmed_on_the_document(client, unique):
    document = client.create_document(
        P.DocumentInput(
            kind="order",
            customer_number="1001",
            reference=f"TXT-{unique}",
            rows=[P.DocumentRowInput(text="Gåva – " + "ä" * 80, quantity=Decimal(0))],
        ),
        f"txt-{unique}",
    )
    assert document.rows[0].text == ("Gåva – " + "ä" * 80)[:60]
    assert any("ADK_OOI_ROW_TEXT: trimmed" in w for w in document.warnings)


def test_keys_are_not_trimmed_but_refused(client, unique):
    with pytest.raises(PermanentError) as info:
        client.create_customer(P.CustomerInput(number="K" * 17, name="Too long number"), uuid.uuid4().hex)
    assert info.value.code == 180
