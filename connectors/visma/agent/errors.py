"""ADK error numbers (``AdkError.h``) and how the agent classes them.

Numbers are verified against the header (reference §1.6); texts are our English paraphrase, because
the wording of ``AdkGetErrorText`` on a real installation is Swedish and not reproduced here.
"""

from __future__ import annotations

from dataclasses import dataclass

# number: (constant, text)
ADKE: dict[int, tuple[str, str]] = {
    7: ("ADKE_NO_ARTNR_ON_TEXT_ROW", "A text row cannot carry an article number"),
    9: ("ADKE_EDIT_DENIED_OBLITERATED", "The document is cancelled and cannot be changed"),
    12: ("ADKE_EDIT_DENIED_PRINTED", "The document is printed and cannot be changed"),
    13: ("ADKE_ORDER_EDIT_DENIED_DELIVERED", "The order is delivered and cannot be changed"),
    20: ("ADKE_COULD_NOT_FIND_ARTICLE", "Could not find the article"),
    21: ("ADKE_COULD_NOT_FIND_CUSTOMER", "Could not find the customer"),
    34: ("ADKE_INVALID_STRING", "The text contains characters that are not allowed"),
    35: ("ADKE_INVALID_PRISL", "Unknown price list"),
    40: ("ADKE_INVALID_DELIVERY_TERMS", "Unknown terms of delivery"),
    41: ("ADKE_INVALID_PAYMENT_TERMS", "Unknown terms of payment"),
    42: ("ADKE_INVALID_DELIVERY_WAY", "Unknown way of delivery"),
    43: ("ADKE_INVALID_CURRENCY_CODE", "Unknown currency code"),
    49: ("ADKE_OOF_INVALID_CUSTOMER", "The document's customer does not exist"),
    50: ("ADKE_OOF_INVALID_ARTICLE", "The row's article does not exist"),
    51: ("ADKE_CUSTOMER_INVALID_CUSTOMERNR", "Invalid customer number"),
    79: ("ADKE_EOF", "End of table"),
    80: ("ADKE_NO_DB_OPEN", "No company is open"),
    102: ("ADKE_UNKNON_DB_FIELD", "Unknown database field"),
    103: ("ADKE_INVALID_DATA_TYPE", "Wrong data type for the field"),
    109: ("ADKE_EDIT_DENIED_FIELD", "The field cannot be changed"),
    108: ("ADKE_INVALID_CONTROLNR", "Invalid check digit"),
    115: ("ADKE_NOT_FOUND", "Not found"),
    116: ("ADKE_INVALID_PATH_COMPANY", "Invalid company path"),
    135: ("ADKE_TOO_MANY_LICENCE", "Too many users for the licence"),
    141: ("ADKE_EDIT_DENIED_INVOICE_PAYED", "The invoice has payments and cannot be changed"),
    180: ("ADKE_TOO_MANY_SIGNS", "Too many characters for the field"),
    181: ("ADKE_TOO_MANY_DECIMALS", "Too many decimals for the field"),
    214: ("ADKE_KEY_TAKEN_IN_NUMBERSERIES", "The number is already taken"),
    217: ("ADKE_ORDER_HAS_CREATED_INVOICE", "The order has already been invoiced"),
    223: ("ADKE_API_APP_DIFF", "The API and the program are of different versions"),
    262: ("ADKE_ORDER_DOESNT_EXIST", "The order does not exist"),
    263: ("ADKE_ORDER_MAKUL", "The order is cancelled"),
    266: ("ADKE_OOI_CONNECT_NROWS_NOT_ZERO", "A document made from another must have no rows"),
    373: ("ADKE_INVALID_VAT_CODE", "Invalid VAT code"),
    477: ("ADKE_ORDER_NOT_DONE", "The order is marked not done"),
    451: ("ADKE_PRICE_PRICE_GREATER_ZERO", "The price must be greater than zero"),
    486: ("ADKE_EXCLUSIVE_LOCK", "The company is locked exclusively"),
    488: ("ADKE_INVALID_FIELD_ID", "Invalid field id"),
    560: ("ADKE_JOURNAL_IN_PROGRESS", "A journal run is in progress"),
    580: ("ADKE_LICENSE_NO_KEY", "No licence key"),
    581: ("ADKE_LICENSE_VERSION", "The licence is for another version"),
    582: ("ADKE_LICENSE_EXPIRED", "The licence has expired"),
    583: ("ADKE_LICENS_NO_API", "The licence does not include the API"),
    602: ("ADKE_LICENSE_NO_SERVICE_AGREEMENT", "No service agreement"),
    619: ("ADKE_INACTIVE_DENIED_WEBBSHOPARTICLE", "An inactive article cannot be a web-shop article"),
    688: ("ADKE_ORDER_NOT_DELIVERED", "The order is not delivered"),
}

NOT_FOUND = 115
EOF_CODE = 79
# Worth retrying: the company is busy or unavailable, not the record wrong. Licence problems are
# here too: they block every record alike until someone fixes the licence, so parking each order
# as permanently failed would only create manual work.
TRANSIENT_CODES = frozenset({80, 116, 135, 223, 486, 560, 580, 581, 582, 583, 602})


def adke_name(code: int) -> str:
    return ADKE.get(code, (f"ADKE_{code}", ""))[0]


@dataclass
class AdkError(Exception):
    """An error in ADK terms: the ``lRc`` number plus the table and field it refers to."""

    code: int
    field: str = ""
    table: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.text)

    @property
    def name(self) -> str:
        return adke_name(self.code)

    @property
    def text(self) -> str:
        base = ADKE.get(self.code, ("", f"ADK error {self.code}"))[1]
        return f"{base}: {self.detail}" if self.detail else base

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_CODES

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.name} {self.code}{where}: {self.text}"


class CompanyUnavailable(Exception):
    """The agent cannot open the company (wrong path, another company open, licence): transient.

    ``code`` is the ADK number when ``AdkOpen`` itself refused (e.g. 583 licence without the API).
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class Conflict(Exception):
    """An idempotency key reused with a different request: permanent, answered with 409."""
