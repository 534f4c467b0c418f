"""Generated jobs and their manifests compared byte for byte with reviewed golden files, and
the jobs checked as code."""

from __future__ import annotations

import py_compile
import subprocess
import sys

import pytest
from golden_projects import GOLDEN, generated_files, golden_projects
from harness import REPO

CASES = [
    (relative, source)
    for name, root in golden_projects().items()
    for relative, source in generated_files(name, root).items()
]


@pytest.mark.parametrize("relative,source", CASES, ids=[c[0] for c in CASES])
def test_generated_job_matches_golden_file(relative, source):
    golden = GOLDEN / relative
    assert golden.is_file(), f"no golden file; run: {sys.executable} tests/update_golden.py"
    assert source == golden.read_text(), (
        f"{relative} differs from its golden file; if intended, run "
        "`.venv/bin/python tests/update_golden.py` and review the diff"
    )


def test_no_stale_golden_files():
    expected = {relative for relative, _ in CASES}
    present = {
        p.relative_to(GOLDEN).as_posix()
        for pattern in ("*.py", "*.manifest.json")
        for p in GOLDEN.rglob(pattern)
    }
    assert present == expected


def test_building_twice_gives_identical_bytes():
    for name, root in golden_projects().items():
        assert generated_files(name, root) == generated_files(name, root)


def test_golden_jobs_compile_and_pass_ruff():
    for path in GOLDEN.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    # --isolated: ruff's default rules, as a user's CI would run them, plus import order,
    # pyupgrade and bugbear, which reviewers also expect of hand-written code. Line length
    # is left to black: a long path from the config is a string black will not split.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "E,F,W,I,UP,B",
            "--ignore",
            "E501",
            str(GOLDEN),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_golden_jobs_are_black_formatted():
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", str(GOLDEN)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_committed_example_build_is_current():
    """The repository's build/ is what a user commits: it must match the generator (jobs and
    manifests)."""
    for relative, source in generated_files("tutorial", REPO).items():
        committed = REPO / "build" / relative.split("/", 1)[1]
        assert committed.read_text() == source, "build/ is stale: run tauro-gen build --all"
