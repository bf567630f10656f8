"""A readable diff between two revisions, paragraph by paragraph and word by word within a paragraph."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask_babel import gettext as _

from workflow.submissions.models import Revision


@dataclass(frozen=True)
class Segment:
    op: str  # "equal", "insert", "delete"
    text: str


@dataclass(frozen=True)
class DiffRow:
    label: str
    segments: list[Segment]

    @property
    def changed(self) -> bool:
        return any(s.op != "equal" for s in self.segments)


def diff_words(old: str, new: str) -> list[Segment]:
    old_words, new_words = old.split(" "), new.split(" ")
    segments: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(Segment("equal", " ".join(old_words[a1:a2])))
            continue
        if op in ("replace", "delete"):
            segments.append(Segment("delete", " ".join(old_words[a1:a2])))
        if op in ("replace", "insert"):
            segments.append(Segment("insert", " ".join(new_words[b1:b2])))
    return segments


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def diff_revisions(old: Revision, new: Revision) -> list[DiffRow]:
    rows = [DiffRow(_("Headline"), diff_words(old.headline, new.headline)),
            DiffRow(_("Dek"), diff_words(old.dek, new.dek))]
    old_paras, new_paras = _paragraphs(old.body), _paragraphs(new.body)
    matcher = difflib.SequenceMatcher(a=old_paras, b=new_paras, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(DiffRow("", [Segment("equal", p)]) for p in old_paras[a1:a2])
        elif op == "replace" and (a2 - a1) == (b2 - b1):
            rows.extend(DiffRow("", diff_words(a, b)) for a, b in zip(old_paras[a1:a2], new_paras[b1:b2]))
        else:
            rows.extend(DiffRow("", [Segment("delete", p)]) for p in old_paras[a1:a2])
            rows.extend(DiffRow("", [Segment("insert", p)]) for p in new_paras[b1:b2])
    return rows
