"""A git revision's build/ for `tauro-gen diff --against REF`: its manifests paired with the
work tree's, read with the git command line (plumbing only: rev-parse, ls-tree, show)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .compare import CompareError, ManifestPair
from .manifest import SUFFIX


class GitError(CompareError):
    """git cannot give the revision's build: not a work tree, an unknown revision, no git."""


def manifest_pairs_at(root: Path, out: str, ref: str) -> list[ManifestPair]:
    """The manifests under `out/` at revision `ref` of the repository holding `root`, paired
    by path with those in the work tree's `root/out/`."""
    _git(root, "rev-parse", "--is-inside-work-tree", problem=f"{root} is not in a git work tree")
    _git(
        root,
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        problem=f"unknown git revision '{ref}'",
    )
    listed = _git(root, "ls-tree", "-r", "--name-only", ref, "--", f"{out}/").splitlines()
    folder = root / out
    olds = {Path(p).relative_to(out).as_posix(): p for p in listed if p.endswith(SUFFIX)}
    news = {
        p.relative_to(folder).as_posix(): p
        for p in (folder.rglob("*" + SUFFIX) if folder.is_dir() else [])
    }
    if not olds and not news:
        raise GitError(f"no *{SUFFIX} in {out}/ at {ref} nor in the work tree")
    return [
        ManifestPair(
            name,
            _git(root, "show", f"{ref}:./{olds[name]}") if name in olds else None,
            news[name].read_text(encoding="utf-8") if name in news else None,
        )
        for name in sorted(set(olds) | set(news))
    ]


def _git(root: Path, *args: str, problem: str = "") -> str:
    """git's output; GitError with `problem` (or git's last line of complaint) on failure."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if result.returncode != 0:
        said = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        raise GitError(problem or f"git {' '.join(args[:2])}: {said}")
    return result.stdout
