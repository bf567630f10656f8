"""The catalogues: every string the desk can show is marked, extracted and translated into Arabic, with no entry
empty, fuzzy or with placeholders of its own, and every count in Arabic's six plural forms."""

from __future__ import annotations

import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from workflow import ROOT

CATALOGUES = ROOT / "workflow" / "translations"
ARABIC = CATALOGUES / "ar" / "LC_MESSAGES" / "messages.po"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2", "-k", "N_"]


@pytest.fixture(scope="module")
def source_strings(tmp_path_factory):
    """The strings marked in the code and templates today, extracted as `make messages` does."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel = [sys.executable, "-m", "babel.messages.frontend"]
    done = subprocess.run([*pybabel, "extract", "-F", "babel.cfg", *KEYWORDS, "--no-wrap", "-o", str(pot), "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with pot.open("rb") as handle:
        catalogue = read_po(handle)
    ids = {message.id for message in catalogue if message.id}
    assert len(ids) > 3, "extraction found next to nothing: is babel.cfg read?"
    return ids


@pytest.fixture(scope="module")
def arabic():
    with ARABIC.open("rb") as handle:
        return read_po(handle, locale="ar")


def _key(message_id):
    return message_id if isinstance(message_id, str) else tuple(message_id)


def test_arabic_has_six_plural_forms(arabic):
    assert arabic.num_plurals == 6
    assert "n % 100 >= 11 && n % 100 <= 99" in arabic.plural_expr


def test_every_marked_string_is_in_the_arabic_catalogue(source_strings, arabic):
    have = {_key(message.id) for message in arabic if message.id}
    missing = sorted(str(m) for m in source_strings - have)
    assert not missing, f"{len(missing)} string(s) marked but not in the Arabic catalogue (run `make messages`, " \
                        f"then translate): {missing[:20]}"


def test_no_arabic_entry_is_empty_or_fuzzy(arabic):
    problems = []
    for message in arabic:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.pluralizable and len(strings) != 6:
            problems.append(f"{len(strings)} plural forms, not 6: {message.id!r}")
        if any(not s or not s.strip() for s in strings):
            problems.append(f"empty: {message.id!r}")
    assert not problems, f"{len(problems)} Arabic entries to finish: " + "; ".join(problems[:20])


def test_no_arabic_entry_changes_the_placeholders(arabic):
    """A translation that drops or renames %(name)s would fail when the page is shown (Babel's own checks)."""
    errors = [f"{message.id!r}: {', '.join(str(e) for e in found)}" for message, found in arabic.check() if found]
    assert not errors, "; ".join(errors[:20])


def test_no_catalogue_keeps_obsolete_entries(arabic):
    assert not arabic.obsolete, f"obsolete entries left in the catalogue: {list(arabic.obsolete)[:10]}"
