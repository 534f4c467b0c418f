"""Stage 6 — write: put every generated file in place atomically, or none of them.

Each file is written to a temporary sibling and renamed over the target (atomic on POSIX), and
only after every job of the run rendered and formatted without error: a failed build leaves the
previous `build/` exactly as it was.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath


def write_files(files: dict[Path, str]) -> list[Path]:
    """Write {path: text}; return the paths whose content changed.

    Every new text is staged beside its target first. Then each target is replaced by a
    rename, after keeping a hard link to the old file; if any rename fails, the files already
    replaced are put back, so a run changes all of its files or none.
    """
    # mkstemp makes files 0600; generated files get the mode any new file gets here (0644
    # under the usual umask), set before each is renamed into place.
    mode = 0o666 & ~_umask()
    staged: list[tuple[Path, str]] = []
    replaced: list[tuple[Path, str | None]] = []
    try:
        for path, text in sorted(files.items()):
            if path.is_file() and path.read_bytes() == text.encode("utf-8"):
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            staged.append((path, _temporary(path, text, mode)))
        for path, tmp in staged:
            backup = None
            if path.exists():
                backup = _temporary(path, None, mode)
                os.unlink(backup)
                os.link(path, backup)
            os.replace(tmp, path)
            replaced.append((path, backup))
    except BaseException:
        for path, backup in reversed(replaced):
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(backup, path)
        raise
    finally:
        for _, tmp in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for _, backup in replaced:
            if backup and os.path.exists(backup):
                os.unlink(backup)
    return [path for path, _ in replaced]


def _temporary(path: Path, text: str | None, mode: int) -> str:
    """A new file beside `path` (same filesystem, so renames are atomic), with `mode`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, mode)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        if text is not None:
            handle.write(text)
    return tmp


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def out_folder_problem(out: str) -> str | None:
    """What is wrong with `--out` as the folder for generated jobs, or None. It is written
    into, and named in each job's docstring and run command, so it must be a folder inside
    the project: relative, not empty, not escaping the project with `..`, printable."""
    if not out.strip():
        return "is empty (give a folder inside the project, e.g. build)"
    if any(not ch.isprintable() for ch in out):
        return "holds a control character"
    path = PurePosixPath(out.replace("\\", "/"))
    if path.is_absolute() or PureWindowsPath(out).drive:
        return f"'{out}' is absolute: give a folder relative to the project, e.g. build"
    if posixpath.normpath(path.as_posix()).split("/")[0] == "..":
        return f"'{out}' is outside the project: give a folder inside it, e.g. build"
    if posixpath.normpath(path.as_posix()) in (".", ""):
        return f"'{out}' is the project folder itself: give a folder inside it, e.g. build"
    return None
