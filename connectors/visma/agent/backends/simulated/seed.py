"""Demo data for a simulated company, and a bulk article loader for the benchmark."""

from __future__ import annotations

import logging
from pathlib import Path

from connectors.visma.agent.backends.simulated import SimulatedBackend
from connectors.visma.agent.backends.simulated.schema import connect, create_company

log = logging.getLogger("connectors.visma.agent.seed")

_ARTICLES = [
    # number, name, account code (1 = 25 %, 2 = 12 %, 3 = 6 %, 4 = exempt), price incl. VAT, stock
    ("1001", "Ullmössa grå", "1", "249.00", 40),
    ("1002", "Vantar röda", "1", "199.00", 25),
    ("1003", "Halsduk blå", "1", "349.00", 0),
    ("2001", "Kaffe mörkrost 500 g", "2", "89.90", 120),
    ("2002", "Te Earl Grey", "2", "59.00", 80),
    ("3001", "Kokbok Sverige", "3", "299.00", 15),
    ("3002", "Tidning Hantverk", "3", "79.00", 60),
    ("4001", "Presentkort 500 kr", "4", "500.00", 0),
    ("5001", "Frakt", "1", "49.00", 0),
]
_CUSTOMERS = [
    {
        "ADK_CUSTOMER_NUMBER": "1001",
        "ADK_CUSTOMER_NAME": "Anna Andersson",
        "ADK_CUSTOMER_EMAIL": "anna@example.se",
        "ADK_CUSTOMER_MAILING_ADDRESS": "Storgatan 1",
        "ADK_CUSTOMER_ZIPCODE": "111 22",
        "ADK_CUSTOMER_CITY": "Stockholm",
        "ADK_CUSTOMER_CODE_OF_COUNTRY": "SE",
    },
    {
        "ADK_CUSTOMER_NUMBER": "1002",
        "ADK_CUSTOMER_NAME": "Bygg & Järn AB",
        "ADK_CUSTOMER_EMAIL": "inkop@byggjarn.example.se",
        "ADK_CUSTOMER_ORGANISATION_NUMBER": "556036-0793",
        "ADK_CUSTOMER_PRICE_LIST": "2",
        "ADK_CUSTOMER_MAILING_ADDRESS": "Industrivägen 4",
        "ADK_CUSTOMER_ZIPCODE": "412 50",
        "ADK_CUSTOMER_CITY": "Göteborg",
        "ADK_CUSTOMER_CODE_OF_COUNTRY": "SE",
    },
    {
        "ADK_CUSTOMER_NUMBER": "1003",
        "ADK_CUSTOMER_NAME": "Björn Öberg",
        "ADK_CUSTOMER_EMAIL": "bjorn@example.se",
        "ADK_CUSTOMER_PRICE_LIST": "3",
        "ADK_CUSTOMER_MAILING_ADDRESS": "Åsvägen 9",
        "ADK_CUSTOMER_ZIPCODE": "903 30",
        "ADK_CUSTOMER_CITY": "Umeå",
        "ADK_CUSTOMER_CODE_OF_COUNTRY": "SE",
    },
]


def seed_demo(backend: SimulatedBackend) -> None:
    """Articles with stock, three price lists (quantity breaks on the reseller list), customers,
    and the currencies of a Nordic web shop's channels."""
    for code, sell in (("NOK", 0.98), ("EUR", 11.45), ("DKK", 1.53)):
        backend.add(
            "ADK_DB_CODE_OF_CURRENCY",
            {"ADK_CODE_OF_CURRENCY_CODE": code, "ADK_CODE_OF_CURRENCY_UNIT": 1.0,
             "ADK_CODE_OF_CURRENCY_SELL": sell, "ADK_CODE_OF_CURRENCY_BUY": sell},
        )  # fmt: skip
    backend.add(
        "ADK_DB_CODE_OF_PRICE_LIST",
        {
            "ADK_CODE_OF_PRICE_LIST_CODE": "2",
            "ADK_CODE_OF_PRICE_LIST_TEXT": "Återförsäljare",
            "ADK_CODE_OF_PRICE_LIST_CURRENCY_CODE": "SEK",
            "ADK_CODE_OF_PRICE_LIST_INCLUDING_VAT": False,
        },
    )
    backend.add(
        "ADK_DB_CODE_OF_PRICE_LIST",
        {
            "ADK_CODE_OF_PRICE_LIST_CODE": "3",
            "ADK_CODE_OF_PRICE_LIST_TEXT": "Kampanj",
            "ADK_CODE_OF_PRICE_LIST_CURRENCY_CODE": "SEK",
            "ADK_CODE_OF_PRICE_LIST_INCLUDING_VAT": True,
        },
    )
    for number, name, account, price, stock in _ARTICLES:
        backend.add(
            "ADK_DB_ARTICLE",
            {
                "ADK_ARTICLE_NUMBER": number,
                "ADK_ARTICLE_NAME": name,
                "ADK_ARTICLE_ACCOUNTING_CODE": account,
                "ADK_ARTICLE_STOCK_GOODS": account != "4" and number != "5001",
                "ADK_ARTICLE_WEBSHOP": True,
                "ADK_ARTICLE_QUANTITY_IN_STOCK": float(stock),
            },
        )
        base = float(price)
        for code, qty, value in (
            ("1", 0.0, base),
            ("2", 0.0, round(base * 0.6, 2)),
            ("2", 10.0, round(base * 0.5, 2)),
            ("3", 0.0, round(base * 0.9, 2)),
        ):
            backend.add(
                "ADK_DB_PRICE",
                {
                    "ADK_PRICE_PRICE_LIST": code,
                    "ADK_PRICE_ARTICLE_NUMBER": number,
                    "ADK_PRICE_QUANTITY": qty,
                    "ADK_PRICE_PRICE": value,
                },
            )
    for customer in _CUSTOMERS:
        backend.add("ADK_DB_CUSTOMER", customer)


def seed_articles(path: Path, count: int, *, prefix: str = "B") -> None:
    """Bulk-load ``count`` stock articles straight into SQLite (benchmark only: bypasses the ADK rules)."""
    if not path.exists():
        create_company(path)
    conn = connect(path)
    try:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO article (ADK_ARTICLE_NUMBER, ADK_ARTICLE_NAME, ADK_ARTICLE_UNIT_CODE,"
            " ADK_ARTICLE_ACCOUNTING_CODE, ADK_ARTICLE_STOCK_GOODS, ADK_ARTICLE_WEBSHOP,"
            " ADK_ARTICLE_QUANTITY_IN_STOCK, ADK_ARTICLE_QUANTITY_RESERVED, ADK_ARTICLE_DISPOSABLE_IN_STOCK,"
            " ADK_ARTICLE_TIMESTAMP) VALUES (?, ?, 'st', '1', 1, 1, ?, 0, ?, '2020-01-01T00:00:00.000000')",
            ((f"{prefix}{i:07d}", f"Artikel {i}", float(i % 97), float(i % 97)) for i in range(count)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    log.info("seeded %d articles into %s", count, path)
