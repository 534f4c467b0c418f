"""Stage 6 — write: put every generated file in place atomically, or none of them.

Each file is written to a temporary sibling and renamed over the target (atomic on POSIX), and
only after every job of the run rendered and formatted without error: a failed build leaves the
previous `build/` exactly as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_files(files: dict[Path, str]) -> list[Path]:
    """Write {path: text}; return the paths whose content changed."""
    changed = []
    staged: list[tuple[Path, str]] = []
    try:
        for path, text in sorted(files.items()):
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            staged.append((path, tmp))
        for path, tmp in staged:
            os.replace(tmp, path)
            changed.append(path)
    finally:
        for _, tmp in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return changed
