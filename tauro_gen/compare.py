"""What `tauro-gen diff` compares: the manifests of an old build and a new one, paired job by
job (files or build folders on disk here; a git revision's build in `gitrefs`), and the
checkpoint-safety findings for every pair (`diff.diff_manifests`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .diff import Finding, diff_manifests, load_manifest
from .manifest import SUFFIX


@dataclass(frozen=True)
class ManifestPair:
    """One job's manifest before and after, as JSON text; None on the side it is absent."""

    label: str  # the manifest's path inside the build folder (or the new job's file name)
    old: str | None
    new: str | None


class CompareError(Exception):
    """Two builds that cannot be compared; the message says why and what to give instead."""


def manifest_pairs(old: Path, new: Path) -> list[ManifestPair]:
    """OLD and NEW are both build folders (every manifest in them, paired by path), or both a
    generated job (.py) or its manifest."""
    if old.is_dir() != new.is_dir():
        raise CompareError("OLD and NEW must both be files or both be folders")
    if old.is_dir():
        olds = {p.relative_to(old).as_posix(): p for p in old.rglob("*" + SUFFIX)}
        news = {p.relative_to(new).as_posix(): p for p in new.rglob("*" + SUFFIX)}
        if not olds and not news:
            raise CompareError(f"no *{SUFFIX} in {old} or {new}; build with this tauro-gen first")
        return [
            ManifestPair(
                name,
                _read(olds[name]) if name in olds else None,
                _read(news[name]) if name in news else None,
            )
            for name in sorted(set(olds) | set(news))
        ]
    texts = []
    for given in (old, new):
        manifest = _manifest_of(given)
        if not manifest.is_file():
            raise CompareError(
                f"{manifest} not found: `tauro-gen build` writes it beside {given.name}"
            )
        texts.append(_read(manifest))
    return [ManifestPair(new.name, texts[0], texts[1])]


def _read(manifest: Path) -> str:
    """A manifest's text; one that is not UTF-8 (or cannot be read) is not a manifest."""
    try:
        return manifest.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CompareError(
            f"{manifest}: not a tauro-gen manifest (not UTF-8: {exc.reason})"
        ) from None
    except OSError as exc:
        raise CompareError(f"{manifest}: cannot read it ({exc.strerror})") from None


def _manifest_of(path: Path) -> Path:
    if path.name.endswith(SUFFIX):
        return path
    if path.suffix == ".py":
        return path.with_name(path.name[: -len(".py")] + SUFFIX)
    raise CompareError(f"{path}: expected a generated job (.py), a {SUFFIX}, or a build folder")


def compare_builds(pairs: list[ManifestPair]) -> list[Finding]:
    """Every change of every query, classified; raises `diff.ManifestError` for a manifest
    that is not one (or of another format version)."""
    findings: list[Finding] = []
    for pair in pairs:
        old = load_manifest(pair.old, f"old {pair.label}") if pair.old else None
        new = load_manifest(pair.new, f"new {pair.label}") if pair.new else None
        findings.extend(diff_manifests(old, new))
    return findings
