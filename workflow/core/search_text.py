"""Text as the searches compare it: the same words however they were typed, Arabic above all.

The desk's searches (the editors' queue, the readers' search) look for each word of a question inside a
*search column* that holds the searched text normalised by :func:`normalise`, and normalise the question
the same way (:func:`search_terms`). Both sides folded alike, a plain substring test (``LIKE``) finds a word
on SQLite and PostgreSQL alike, and on PostgreSQL a trigram index serves it.

What :func:`normalise` folds, and why:

- Compatibility forms (NFKC): Arabic presentation forms pasted from a PDF (``ﻣﺪﺭﺳﺔ``), the ligature ``ﻻ``,
  full-width Latin letters and digits become the ordinary letters; a letter typed as a base and a combining
  mark becomes the composed letter, which the rules below fold.
- Arabic short vowels and signs (tashkeel, harakat: fathatan to sukun, U+064B–U+0652), the superscript alef
  (U+0670), the combining maddah and hamza (U+0653–U+0655, what is left of a decomposed ``آ`` or ``أ``) and
  the tatweel (U+0640, a stretch that only lengthens a word on the line) are removed: most text is written
  without them, some with a few, and a reader never types them.
- Alef with hamza above or below, with maddah, and alef wasla (``أ إ آ ٱ``) are a bare alef ``ا``: the hamza
  on an alef is very often left out in writing and in typing.
- Hamza on waw ``ؤ`` is ``و`` and hamza on yaa ``ئ`` is ``ي``: as with the alef, the seat is kept and the
  hamza dropped, so that a word typed without its hamza (``سوال``) finds ``سؤال``. The two spellings of some
  words on different seats (``مسؤول``, ``مسئول``) remain two words: folding both seats to one letter would
  make ``و`` and ``ي`` words meet that have nothing in common. The standalone hamza ``ء`` stays.
- Taa marbuta ``ة`` is ``ه`` and alef maqsura ``ى`` is ``ي``: the final letters most often written either way.
- The Persian kaf ``ک`` and yeh ``ی``, which some keyboards type for Arabic, are ``ك`` and ``ي``.
- Arabic-Indic digits (``٠``–``٩``) and their Persian forms (``۰``–``۹``) are ASCII digits.
- Direction marks and zero-width characters (what a pasted name may carry unseen) are removed.
- Latin (and every cased script) is case-folded.
- Anything that is neither a letter nor a digit (punctuation, spaces, LIKE's wildcards) separates words: the
  result is the words separated by single spaces, so that a quoted phrase is a plain substring too.

A word after a minus sign (``bread -curfew``) is one the story must not hold; a question of such words alone
looks for nothing.

No database connection, no Flask (:func:`holding` builds a condition, it runs nothing). A change to these rules
changes what the search columns hold: it needs a migration that fills them again.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

ALEF, WAW, YAA, HEH, KAF = "\u0627", "\u0648", "\u064a", "\u0647", "\u0643"

_REMOVED = (
    [chr(c) for c in range(0x064B, 0x0653)]  # fathatan, dammatan, kasratan, fatha, damma, kasra, shadda, sukun
    + ["\u0653", "\u0654", "\u0655"]  # maddah, hamza above, hamza below (combining)
    + ["\u0670", "\u0640"]  # superscript alef; tatweel
    + ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\ufeff"]  # zero-width; LRM, RLM, ALM
    + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]  # embeddings, isolates
)
_FOLDED = {
    "\u0623": ALEF, "\u0625": ALEF, "\u0622": ALEF, "\u0671": ALEF,  # أ إ آ ٱ
    "\u0624": WAW,  # ؤ
    "\u0626": YAA,  # ئ
    "\u0629": HEH,  # ة
    "\u0649": YAA,  # ى
    "\u06cc": YAA, "\u06a9": KAF,  # Persian ی and ک
    **{chr(0x0660 + n): str(n) for n in range(10)},  # ٠–٩
    **{chr(0x06F0 + n): str(n) for n in range(10)},  # ۰–۹
}
_TABLE = str.maketrans({**dict.fromkeys(_REMOVED, None), **_FOLDED})
_WORD = re.compile(r"[^\W_]+")  # letters and digits

# Words a question's other words do without, as written after normalise(): a substring search for "the" or "في"
# would turn away a story that happens not to contain it ("a school in Gaza", "مدرسة في غزة" for "مدرسة بغزة").
# "على" is not one: folded, it is the name "علي".
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have he her his in into is it its of on or she that the their they "
    "this to was were will with "
    "في من الي عن مع ان او ثم قد هذا هذه ذلك تلك التي الذي الذين و".split())


EXCLUDED = "-"  # before a term of search_terms(): the story must not hold it (a normalised word never starts so)


def normalise(text: str | None) -> str:
    """``text`` as the search columns hold it and as a question is compared with them (see the module)."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()
    return " ".join(_WORD.findall(folded))


def search_terms(question: str, limit: int = 8) -> list[str]:
    """What a question looks for: each word, and each "quoted phrase" as one term (its words in that order),
    normalised; repeats once, at most ``limit`` terms (each one more ``LIKE``). An unclosed quote runs to the
    end. Stop words are left out, unless the question has nothing else. A word after a minus sign is a term
    the story must not hold, written with EXCLUDED before it. No letter nor digit, or nothing but words left
    out: nothing to look for (an empty list)."""
    terms: list[str] = []
    for n, part in enumerate(question.split('"')):
        if n % 2:  # a quoted phrase
            found = [normalise(part)]
        else:  # words; a word after a minus sign ("-curfew") is one the story must not hold
            found = []
            for token in part.split():
                if token.startswith("-") and (word := normalise(token)):
                    found.append(EXCLUDED + word)
                else:
                    found += normalise(token).split()
        for term in found:
            if term and term not in terms:
                terms.append(term)
    meaningful = [term for term in terms if term.removeprefix(EXCLUDED) not in STOP_WORDS]
    chosen = (meaningful or terms)[:limit]
    return chosen if any(not term.startswith(EXCLUDED) for term in chosen) else []


def holding(column, terms: list[str], indexed: bool = True):
    """The SQL condition that ``column`` (a search column) holds each term of :func:`search_terms` and none of
    those it leaves out. Not ``indexed``: the column is wrapped (``coalesce``) so that no index can serve the
    test, for a query that must keep to another index's order."""
    tested = column if indexed else sa.func.coalesce(column, "")
    return sa.and_(*(sa.func.coalesce(column, "").not_like(f"%{term.removeprefix(EXCLUDED)}%")
                     if term.startswith(EXCLUDED) else tested.like(f"%{term}%") for term in terms))


def joined(*parts: str | None) -> str | None:
    """The normalised text of several fields as one search column's value (None when every field is None)."""
    if all(part is None for part in parts):
        return None
    return normalise(" ".join(part for part in parts if part))
