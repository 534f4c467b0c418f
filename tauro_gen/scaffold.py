"""`tauro-gen init DIR`: scaffold the streaming tutorial project.

The files ship inside the package (tauro_gen/scaffold/): the tutorial's four config files and
node function exactly as the tutorial writes them, its two sample CSV files, a README with the
build/run/review steps, and a .gitignore for the folders a run creates. The project builds and
runs as is. Nothing is ever overwritten: a target that already holds one of these files is
refused, naming the files.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "scaffold"
# Package-data name -> name in the project (a real .gitignore inside our package would change
# what git tracks in this repository).
RENAMES = {"gitignore": ".gitignore"}


class ScaffoldError(Exception):
    """The target cannot take the scaffold: reported in one line, exit 2."""


def scaffold_files() -> dict[str, bytes]:
    """{path in the new project: content}, in a stable order."""
    files: dict[str, bytes] = {}
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        relative = path.relative_to(DATA).as_posix()
        relative = RENAMES.get(relative, relative)
        files[relative] = path.read_bytes()
    return files


def init_project(target: Path) -> list[str]:
    """Write the scaffold into `target` (created if needed); return the files written."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a folder")
    files = scaffold_files()
    existing = sorted(name for name in files if (target / name).exists())
    if existing:
        shown = ", ".join(existing[:5]) + (
            f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        )
        raise ScaffoldError(
            f"{target} already has {shown}; init never overwrites files: choose an empty folder"
        )
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return list(files)
