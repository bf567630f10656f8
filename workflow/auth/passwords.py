"""Password hashing with argon2id, and the refusal of weak passwords (ASVS 5.0 6.2).

A password is hashed and checked exactly as typed (ASVS 6.2.8). Only to judge whether it is weak is it read the
way a person means it: Unicode NFKC (full-width digits become digits, ligatures letters) and without invisible
formatting characters (zero-width spaces, bidi overrides), which would otherwise pad a short or common password
past the checks.
"""

import functools
import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


MIN_LENGTH = 12
# Format (zero-width, bidi controls), control, surrogate, private-use and unassigned characters.
_INVISIBLE = {"Cf", "Cc", "Cs", "Co", "Cn"}


def normalise(password: str) -> str:
    """The password as a person means it: NFKC, invisible characters taken out."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", password) if unicodedata.category(ch) not in _INVISIBLE)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password``, exactly as typed, is the one hashed."""
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


def _repeated_part(text: str) -> str | None:
    """The shortest part that ``text`` is over and over ("tidemap" of "tidemaptidemap"), if it is one."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return None


def _repeats(text: str) -> bool:
    return _repeated_part(text) is not None


def is_common(password: str) -> bool:
    """Whether ``password`` is one of the most common passwords, one of them with digits or signs added at the
    end ("password2024!"), one of them repeated ("qwertyqwerty"), or a few characters over and over."""
    lowered = normalise(password).lower()
    common = _common_passwords()
    if lowered in common or len(set(lowered)) <= 2:
        return True
    base = _DECORATION.sub("", lowered)
    if base in common and len(base) >= 3:
        return True
    part = _repeated_part(lowered)
    return part is not None and (part in common or len(part) <= 3)


# Why a password is refused, in the reader's language (:func:`weakness` gives the text at call time).
COMMON_PASSWORD_MESSAGE = _l("This password is among the most common ones, which attackers try first. "
                             "Choose another: a few unrelated words make a strong one.")
SHORT_PASSWORD_MESSAGE = _l("The password needs at least %(num)d characters.", num=MIN_LENGTH)
SHORT_WITH_INVISIBLE_MESSAGE = _l("The password needs at least %(num)d characters, not counting invisible ones "
                                  "(such as zero-width spaces).", num=MIN_LENGTH)
DIGITS_PASSWORD_MESSAGE = _l("A password of digits alone is among the first that attackers try. "
                             "Choose another: a few unrelated words make a strong one.")
REPEATING_PASSWORD_MESSAGE = _l("This password repeats itself, which attackers try early. "
                                "Choose another: a few unrelated words make a strong one.")
CONTEXT_PASSWORD_MESSAGE = _l("This password is made of the desk's name or your own name or address, which "
                              "attackers try first. Choose another: a few unrelated words make a strong one.")
# Words of this service that attackers try with a password (ASVS 6.1.2, 6.2.11), besides the outlet's name and the
# person's own address and names.
CONTEXT_WORDS = ("desk", "contributor", "contributors", "editor", "editors", "admin", "newsroom", "pitch", "story",
                 "stories", "reporter", "frontline", "deeply", "workflow", "password")


def _letters(text: str) -> str:
    return re.sub(r"[\W\d_]+", "", text.lower())


def context_words(outlet: str = "", personal: tuple[str, ...] = ()) -> set[str]:
    """The words a password may not be made of: the service's, the outlet's name (whole and word by word), and the
    person's address and names."""
    words = set(CONTEXT_WORDS)
    for phrase in (outlet, *personal):
        if not phrase:
            continue
        local = phrase.split("@")[0]
        words.add(_letters(local))
        words.update(_letters(part) for part in re.split(r"[\s.@_+-]+", phrase) if len(_letters(part)) >= 3)
    return {word for word in words if len(word) >= 3}


def _made_of(text: str, words: set[str]) -> bool:
    """Whether ``text`` (letters only) is nothing but context words, one or more of them."""
    remaining = [text]
    seen = set()
    while remaining:
        rest = remaining.pop()
        if rest == "":
            return True
        if rest in seen:
            continue
        seen.add(rest)
        remaining.extend(rest[len(word):] for word in words if rest.startswith(word))
    return False


def weakness(password: str, context: set[str] | None = None) -> str | None:
    """Why ``password`` is refused, or None: shorter than 12 characters once normalised (invisible characters do
    not count), among the most common (the 30,000 of the leaked-password lists zxcvbn ships, with their
    variations), digits alone, a part repeated, with or without digits and signs at its end, or nothing but
    ``context`` words (the desk's and the person's own) with digits and signs."""
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        return str(SHORT_WITH_INVISIBLE_MESSAGE if len(password) >= MIN_LENGTH else SHORT_PASSWORD_MESSAGE)
    if is_common(text):
        return str(COMMON_PASSWORD_MESSAGE)
    if text.isdigit() or not _DECORATION.sub("", text):
        return str(DIGITS_PASSWORD_MESSAGE)
    lowered = text.lower()
    if _repeats(lowered) or _repeats(_DECORATION.sub("", lowered)):
        return str(REPEATING_PASSWORD_MESSAGE)
    letters = _letters(text)
    if context and letters and _made_of(letters, context):
        return str(CONTEXT_PASSWORD_MESSAGE)
    return None
