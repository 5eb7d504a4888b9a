import pytest
from django.core.exceptions import ValidationError

from participants import identifiers


@pytest.mark.parametrize("value", ["9434765919", "4857773457"])
def test_valid_nhs_numbers_pass_the_mod_11_check(value):
    identifiers.validate_nhs_number(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9434765918", "the last digit does not match"),
        ("943476591", "10 digits"),
        ("94347659AA", "10 digits"),
    ],
)
def test_invalid_nhs_numbers_say_why(value, message):
    with pytest.raises(ValidationError, match=message):
        identifiers.validate_nhs_number(value)


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        (identifiers.validate_prison_number, "A1234BC", "1234ABC"),
        (identifiers.validate_crn, "X123456", "X12345"),
        (identifiers.validate_pnc_number, "2012/0052494X", "2012-0052494X"),
    ],
)
def test_identifier_formats(validator, good, bad):
    validator(good)
    with pytest.raises(ValidationError):
        validator(bad)


def test_identifiers_are_normalised_as_national_systems_write_them():
    assert identifiers.normalise(" a1234 bc ") == "A1234BC"
    assert identifiers.normalise("943 476 5919") == "9434765919"


@pytest.mark.parametrize(
    ("validator", "typed"),
    [
        (identifiers.validate_prison_number, "A١٢٣٤BC"),
        (identifiers.validate_crn, "X١٢٣٤٥٦"),
        (identifiers.validate_pnc_number, "2012/٠٠٥٢٤٩٤X"),
        (identifiers.validate_nhs_number, "٩٤٣٤٧٦٥٩١٩"),
        (identifiers.validate_prison_number, "A1234BC\n"),
    ],
)
def test_identifiers_in_another_scripts_digits_are_refused(validator, typed):
    """Found by fuzzing: \\d matched Arabic-Indic digits, so "A١٢٣٤BC" was stored as a prison
    number that no national system writes, and beside A1234BC it was not seen as the same."""
    with pytest.raises(ValidationError, match="Enter a"):
        validator(typed)
