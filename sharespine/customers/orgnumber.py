"""Swedish organisation numbers (organisationsnummer) and personal identity numbers.

Ten digits NNNNNN-NNNN whose last digit is a Luhn (mod 10) check digit over the first nine.
Sole traders use their personal identity number, so 12-digit forms with a century prefix
(16/19/20) are accepted and normalised to ten digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SHAPE = re.compile(r"^(?:16|19|20)?(\d{6})[-+]?(\d{4})$")


def luhn_check_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def normalise_org_number(value: str) -> str:
    """Return the canonical ``NNNNNN-NNNN`` form or raise ``ValidationError``."""
    match = _SHAPE.match(value.strip().replace(" ", ""))
    if not match:
        raise ValidationError(
            _("Enter an organisation number as NNNNNN-NNNN (10 digits)."), code="org_number_shape"
        )
    digits = match.group(1) + match.group(2)
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(
            _("%(value)s is not a valid organisation number: the check digit does not match."),
            code="org_number_check_digit",
            params={"value": value},
        )
    return f"{digits[:6]}-{digits[6:]}"


def validate_org_number(value: str) -> None:
    normalise_org_number(value)


# --- organisation numbers on orders and Visma customers --------------------------------------------
# Shops and Visma write the same number in many shapes: 556800-7537, 5568007537, 195568007537 (with
# a century), SE556800753701 (the VAT number), NO 923 609 016 MVA. Which legal entity a customer is
# must not depend on the shape, so both sides are reduced to (country, digits) before comparing.

_SE_VAT = re.compile(r"^(?:SE)?(\d{10})01$")
_CENTURY = re.compile(r"^(?:16|19|20)(\d{10})$")
_NO_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class OrgId:
    """An organisation number reduced to what identifies the entity."""

    country: str  # "SE", "NO", or "" when the shape is neither (compared as given, unchecked)
    digits: str

    @property
    def check_digit_ok(self) -> bool:
        if self.country == "SE":
            return luhn_check_digit(self.digits[:9]) == int(self.digits[9])
        if self.country == "NO":
            remainder = sum(int(d) * w for d, w in zip(self.digits, _NO_WEIGHTS, strict=False)) % 11
            check = (11 - remainder) % 11
            return check != 10 and check == int(self.digits[8])
        return True

    @property
    def legal_entity(self) -> bool:
        """A company rather than a person: a Swedish organisation number has 2 or more as its third
        digit, where a personal identity number (used by sole traders, and stored for private
        customers) has its month, 01–12."""
        if self.country == "SE":
            return int(self.digits[2]) >= 2
        return True

    def __str__(self) -> str:
        if self.country == "SE":
            return f"{self.digits[:6]}-{self.digits[6:]}"
        return self.digits

    def spellings(self) -> list[str]:
        """The shapes one number is commonly stored in, for an exact-match search."""
        if self.country == "SE":
            return [str(self), self.digits]
        if self.country == "NO":
            return [self.digits, f"{self.digits[:3]} {self.digits[3:6]} {self.digits[6:]}"]
        return [self.digits]


def org_id(value: str | None) -> OrgId | None:
    """``value`` reduced to an ``OrgId``; None when it is empty."""
    text = re.sub(r"[\s.\-+]", "", (value or "").upper())
    if not text:
        return None
    if text.startswith("NO") and text[2:].removesuffix("MVA").isdigit():
        text = text[2:].removesuffix("MVA")
    # Twelve digits are a century prefix (19800101-0001) unless the VAT number's SE … 01 says otherwise.
    century = _CENTURY.match(text)
    vat = _SE_VAT.match(text)
    if vat and (text.startswith("SE") or not century):
        text = vat.group(1)
    elif century:
        text = century.group(1)
    if text.isdigit() and len(text) == 10:
        return OrgId("SE", text)
    if text.isdigit() and len(text) == 9:
        return OrgId("NO", text)
    return OrgId("", text)
