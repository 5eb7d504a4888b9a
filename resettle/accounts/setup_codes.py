"""One-time set-up codes: how they look, and how they are kept (only as a hash).

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), read out in
three groups of four: about 59 bits, so guessing is hopeless within the five tries a code
allows. It is typed back with or without the dashes, in either case.
"""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.hashers import check_password, make_password

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12
LIFETIME = datetime.timedelta(hours=24)
# Wrong codes typed for one account before its code stops working (a new one is needed).
MAX_FAILED_ATTEMPTS = 5


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalise(typed: str) -> str:
    return "".join(ch for ch in (typed or "").upper() if ch not in " -\t")


def hash_code(code: str) -> str:
    return make_password(normalise(code))


def matches(typed: str, code_hash: str) -> bool:
    value = normalise(typed)
    if len(value) != LENGTH or any(ch not in ALPHABET for ch in value):
        return False
    return check_password(value, code_hash)
