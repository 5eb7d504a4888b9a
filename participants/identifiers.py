"""National identifiers: normalising and checking the formats staff type.

Each check raises ValidationError with a message that says what a valid one looks like.
"""

import re

from django.core.exceptions import ValidationError

# [0-9], not \d: \d also matches other scripts' digits (Arabic-Indic "١٢٣٤"), which the
# national systems do not use and which would let one number be recorded twice.
PRISON_NUMBER = re.compile(r"[A-Z][0-9]{4}[A-Z]{2}")
CRN = re.compile(r"[A-Z][0-9]{6}")
PNC_NUMBER = re.compile(r"([0-9]{2}|[0-9]{4})/[0-9]{1,7}[A-Z]")
NHS_NUMBER = re.compile(r"[0-9]{10}")


def normalise(value: str | None) -> str:
    """Upper case without spaces, as the national systems write them."""
    return re.sub(r"\s+", "", value or "").upper()


def validate_prison_number(value: str) -> None:
    if not PRISON_NUMBER.fullmatch(value):
        raise ValidationError(
            "Enter a prison number in the right format, like A1234BC", code="prison_number"
        )


def validate_crn(value: str) -> None:
    if not CRN.fullmatch(value):
        raise ValidationError(
            "Enter a case reference number (CRN) in the right format, like X123456", code="crn"
        )


def validate_pnc_number(value: str) -> None:
    if not PNC_NUMBER.fullmatch(value):
        raise ValidationError(
            "Enter a PNC number in the right format, like 2012/0052494X", code="pnc"
        )


def nhs_number_is_valid(value: str) -> bool:
    """10 digits whose last is the modulus-11 check digit of the first nine."""
    if not NHS_NUMBER.fullmatch(value):
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:9], range(10, 1, -1), strict=True)
    )
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])


def validate_nhs_number(value: str) -> None:
    if not NHS_NUMBER.fullmatch(value):
        raise ValidationError("Enter an NHS number with 10 digits, like 943 476 5919", code="nhs")
    if not nhs_number_is_valid(value):
        raise ValidationError(
            "Enter a valid NHS number: the last digit does not match (check for a typing mistake)",
            code="nhs_check",
        )
