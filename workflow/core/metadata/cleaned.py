"""What every cleaner of the package returns (:class:`Cleaned`) or raises (:func:`refusal`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.core.errors import DomainError
from workflow.core.storage import ACCEPTED


@dataclass
class Cleaned:
    """A file made clean, and what was taken out of it (empty: there was nothing to remove)."""

    data: bytes
    removed: list[str] = field(default_factory=list)



def refusal(filename: str, why: str, advice: str = "Export or save it again, and send the new file") -> DomainError:
    """The refusal of a file we cannot clean: why, and what the desk accepts."""
    return DomainError(f"“{filename}” {why}, so we cannot remove its hidden data (author, location, history). "
                       f"{advice}: we accept {ACCEPTED}.")
