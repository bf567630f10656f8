"""The words of an address (a story's, a section's, a tag's) from a headline or a name.

Latin text becomes plain ASCII, as before: ``Night bakers: “defy” the curfew`` → ``night-bakers-defy-the-curfew``
(accents are transliterated: ``Café`` → ``cafe``). Text with Arabic letters keeps them: an Arabic reader reads the
address, and a transliteration (``twbyr-lkhbz``) is neither Arabic nor English, and makes different words meet
(two tags that differ by one Arabic letter would share an address). Arabic's short vowels, tatweel and invisible
marks are dropped first (a slug keeps letters and digits only: a shadda would split a word in two). Browsers show
such an address in Arabic; it travels percent-encoded.

Pure: no database, no Flask.
"""

from __future__ import annotations

import re
import unicodedata

from slugify import slugify

_ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_MARKS = str.maketrans(dict.fromkeys(
    [chr(c) for c in range(0x064B, 0x0656)]  # harakat, shadda, sukun; combining maddah and hamzas
    + ["\u0670", "\u0640"]  # superscript alef; tatweel
    + ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\ufeff"]
    + [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)], None))


def slug(text: str, max_length: int = 0, word_boundary: bool = False) -> str:
    """``text`` as the words of an address (see the module); "" when it has no letter or digit."""
    if _ARABIC_LETTER.search(text):
        kept = unicodedata.normalize("NFKC", text).translate(_MARKS)
        return slugify(kept, max_length=max_length, word_boundary=word_boundary, allow_unicode=True)
    return slugify(text, max_length=max_length, word_boundary=word_boundary)
