"""Swedish organisation numbers (organisationsnummer) and personal identity numbers.

Ten digits NNNNNN-NNNN whose last digit is a Luhn (mod 10) check digit over the first nine.
Sole traders use their personal identity number, so 12-digit forms with a century prefix
(16/19/20) are accepted and normalised to ten digits.
"""

from __future__ import annotations

import re

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
