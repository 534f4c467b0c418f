"""build/ on disk against the jobs generated now: the files a build writes, `tauro-gen check`'s
stale, missing and orphaned files, and the changes a rebuild makes that a checkpoint already
written will not restore (`tauro-gen build` warns about them)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .diff import UNSAFE, Finding, ManifestError, diff_manifests, load_manifest
from .generate import GeneratedJob
from .manifest import manifest_files, manifest_path
from .plan import job_path

STALE, MISSING, ORPHAN = "stale", "missing", "orphan"
# The files of build/ that tauro-gen owns: a file named otherwise is never an orphan.
OWNED_SUFFIXES = (".py", ".manifest.json")


def build_files(jobs: list[GeneratedJob], root: Path) -> dict[Path, str]:
    """{path: text} of everything a build writes for `jobs`: each job and its manifest."""
    return {**{root / job.path: job.source for job in jobs}, **manifest_files(jobs, root)}


@dataclass(frozen=True)
class FileDifference:
    path: str  # relative to the project root, with '/'
    kind: str  # STALE, MISSING or ORPHAN
    diff: str = ""  # STALE: the unified diff from the file in build/ to the one generated now


@dataclass(frozen=True)
class CheckResult:
    expected: int  # files the checked pipelines produce (jobs and manifests)
    # The expected files that differ, by path, then the orphans by path.
    differences: tuple[FileDifference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences

    def paths(self, kind: str) -> list[str]:
        return [d.path for d in self.differences if d.kind == kind]


def check_build(
    root: Path, jobs: list[GeneratedJob], out: str, env: str, full: bool
) -> CheckResult:
    """Compare the files `jobs` produce with those in build/ under `root`. Only a `full` check
    (every pipeline) knows every file the folder of `env` should hold, so only it reports
    orphans: jobs or manifests no pipeline produces any more."""
    expected = build_files(jobs, root)
    differences = []
    for path, text in sorted(expected.items()):
        relative = path.relative_to(root).as_posix()
        if not path.is_file():
            differences.append(FileDifference(relative, MISSING))
            continue
        current = path.read_text(encoding="utf-8", errors="replace")
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"a/{relative} (committed)",
                f"b/{relative} (generated now)",
            )
            differences.append(FileDifference(relative, STALE, "".join(diff)))
    if full:
        folder = root / Path(job_path("x", env, out)).parent
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                owned = path.name.endswith(OWNED_SUFFIXES)
                if path.is_file() and owned and path not in expected:
                    differences.append(FileDifference(path.relative_to(root).as_posix(), ORPHAN))
    return CheckResult(len(expected), tuple(differences))


@dataclass(frozen=True)
class UnsafeRebuild:
    """A job rewritten with a change its query's checkpoint will not restore."""

    job: str  # the job's path, relative to the project root
    finding: Finding  # an UNSAFE finding of a query with a checkpoint


def unsafe_checkpoint_changes(jobs: list[GeneratedJob], root: Path) -> list[UnsafeRebuild]:
    """A rebuild that changes what a query's checkpoint recorded (grouping keys, sources,
    output mode, spark.sql.shuffle.partitions of a stateful query...) makes the job fail, or
    silently keep the old setting, on its next restart: the UNSAFE findings between each job's
    manifest in build/ and its new one. The build goes on (the change may be meant: then the
    query needs a new checkpoint)."""
    changes = []
    for job in jobs:
        previous = root / manifest_path(job.path)
        if not previous.is_file():
            continue
        old_text = previous.read_text(encoding="utf-8", errors="replace")
        if old_text == job.manifest:
            continue
        try:
            old = load_manifest(old_text, str(previous))
        except ManifestError:
            continue  # not ours to judge: `check` reports a damaged build/
        new = load_manifest(job.manifest, job.path)
        for finding in diff_manifests(old, new):
            if finding.verdict == UNSAFE and finding.checkpoint:
                # (a query with no checkpoint, a memory sink, restores nothing)
                changes.append(UnsafeRebuild(job.path, finding))
    return changes
