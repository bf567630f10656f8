"""Password hashing with argon2id, and the refusal of passwords that everyone uses."""

import functools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


_DUMMY_HASH: dict[str, str] = {}


def burn_time_like_a_verification(password: str) -> None:
    """Spend what a real check would, so that response times do not reveal whether an email is registered."""
    key = f"{current_app.config['ARGON2_TIME_COST']}:{current_app.config['ARGON2_MEMORY_COST']}"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = hash_password("not a real password")
    verify_password(_DUMMY_HASH[key], password)


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 passwords found most often in leaked password lists, as shipped with zxcvbn."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


_DECORATION = re.compile(r"[\d\W_]+$")  # what people add at the end of a common password: 2024!, 123, !!


def is_common(password: str) -> bool:
    """Whether ``password`` is one of the most common passwords, one of them with digits or signs added at the
    end ("password2024!"), one of them repeated ("qwertyqwerty"), or one character over and over."""
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common or len(set(lowered)) <= 2:
        return True
    base = _DECORATION.sub("", lowered)
    if base in common and len(base) >= 3:
        return True
    for size in range(1, len(lowered) // 2 + 1):  # a repetition of a shorter part
        if len(lowered) % size == 0 and lowered[:size] * (len(lowered) // size) == lowered:
            return True
    return False


COMMON_PASSWORD_MESSAGE = ("This password is among the most common ones, which attackers try first. "
                           "Choose another: a few unrelated words make a strong one.")
