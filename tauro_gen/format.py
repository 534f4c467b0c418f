"""Stage 5 — format: black, with one fixed mode so every machine produces the same bytes."""

from __future__ import annotations

import black

# Black's defaults: `black --check build/` in a user's CI must agree with what we write.
MODE = black.Mode()


def format_source(source: str) -> str:
    return black.format_str(source, mode=MODE)
