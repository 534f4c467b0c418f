"""What the checks of one validation run share: the loaded project and the report (`Context`),
the section of each kind of entry, and how a value is shown in messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Location, Report
from ..load import RawProject


@dataclass
class Context:
    """The loaded project (its values, and where each was written) and the report every finding
    goes to; plus, for the per-entry checks, how entries are named in messages and which of
    their keys were written wrongly."""

    raw: RawProject
    report: Report
    # How an entry is named in messages; inline entries are named after their node.
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    # Keys of an entry that were written wrongly (or misspelt): the entry is reported, and left
    # out of what depends on those keys, so one mistake makes one error.
    invalid: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    @property
    def settings(self) -> dict[str, Any]:
        """The global settings (empty when the file is not a mapping: reported when loaded)."""
        settings = self.raw.global_settings
        return settings if isinstance(settings, dict) else {}

    def at(self, *path: Any, value: bool = False) -> Location:
        """Where the key at `path` (or its value) was written."""
        return self.raw.where(tuple(path), value=value)

    def label(self, kind: str, name: str) -> str:
        return self.labels.get((kind, name), f"{kind} '{name}'")

    def invalid_keys(self, kind: str, name: str) -> set[str]:
        """The keys of an entry that were written wrongly (empty when none, or not read yet)."""
        return self.invalid.get((kind, name), set())

    def mark_invalid(self, kind: str, name: str, key: str) -> None:
        self.invalid.setdefault((kind, name), set()).add(key)


# The file section that holds each kind of entry.
SECTION_OF = {
    "pipeline": "pipelines",
    "node": "nodes",
    "input": "inputs",
    "output": "outputs",
}


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


# What a value check returns for a value it reported: the key is then left out of the entry.
INVALID: Any = _Invalid()


def describe(value: Any) -> str:
    """A value as a message shows it: what the user wrote, and its type when that matters."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"'{str(value).lower()}' (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{value}'"
    return f"'{value}' (a {type(value).__name__}; quote it to keep it as text)"
