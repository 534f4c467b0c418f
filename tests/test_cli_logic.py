"""The functions behind `check`, `build`'s checkpoint warnings and `diff`, called directly:
they return results (the CLI only prints them), so the results are checked as data here; the
printed form is tests/test_check.py's and tests/test_diff.py's. Also: what the CLI imports."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from harness import REPO, VENV_BIN

from tauro_gen.check import (
    MISSING,
    ORPHAN,
    STALE,
    FileDifference,
    build_files,
    check_build,
    unsafe_checkpoint_changes,
)
from tauro_gen.compare import CompareError, ManifestPair, compare_builds, manifest_pairs
from tauro_gen.diff import UNSAFE, ManifestError
from tauro_gen.generate import generate, load_and_validate
from tauro_gen.gitrefs import GitError, manifest_pairs_at
from tauro_gen.write import write_files

SHOP = Path(__file__).resolve().parent / "diff_cases" / "shop"


def jobs_of(root: Path, env: str = "base", out: str = "build"):
    project, report = load_and_validate(root, env)
    assert project is not None, "\n".join(d.render() for d in report.errors)
    return generate(project, sorted(project.pipelines), out)


def built(root: Path, env: str = "base", out: str = "build"):
    jobs = jobs_of(root, env, out)
    write_files(build_files(jobs, root))
    return jobs


def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


# --------------------------------------------------------------------------- check_build
def test_a_fresh_build_checks_clean(tutorial):
    jobs = built(tutorial)
    result = check_build(tutorial, jobs, "build", "base", full=True)
    assert result.ok and result.differences == ()
    assert result.expected == 2  # the job and its manifest
    assert set(build_files(jobs, tutorial)) == {
        tutorial / "build/real_time_sales.py",
        tutorial / "build/real_time_sales.manifest.json",
    }


def test_stale_missing_and_orphaned_files_in_report_order(tutorial):
    jobs = built(tutorial)
    build = tutorial / "build"
    (build / "real_time_sales.manifest.json").unlink()
    job = build / "real_time_sales.py"
    job.write_text(job.read_text().replace("def main(", "def main_edited_by_hand(", 1))
    (build / "old_pipeline.py").write_text("# from a pipeline that was removed\n")
    (build / "notes.txt").write_text("not ours\n")
    (build / "dev").mkdir()

    result = check_build(tutorial, jobs, "build", "base", full=True)
    assert not result.ok
    assert [(d.path, d.kind) for d in result.differences] == [
        ("build/real_time_sales.manifest.json", MISSING),
        ("build/real_time_sales.py", STALE),
        ("build/old_pipeline.py", ORPHAN),
    ]
    stale = result.differences[1]
    assert stale.diff.startswith(
        "--- a/build/real_time_sales.py (committed)\n+++ b/build/real_time_sales.py (generated now)\n"
    )
    assert "\n-def main_edited_by_hand(" in stale.diff and "\n+def main(" in stale.diff
    assert result.paths(STALE) == ["build/real_time_sales.py"]
    assert result.paths(ORPHAN) == ["build/old_pipeline.py"]

    # Checking some pipelines only cannot know which files are orphans.
    partial = check_build(tutorial, jobs, "build", "base", full=False)
    assert [d.kind for d in partial.differences] == [MISSING, STALE]


def test_each_env_and_out_folder_is_checked_on_its_own(tutorial):
    built(tutorial)
    dev_jobs = built(tutorial, "dev")
    assert check_build(tutorial, dev_jobs, "build", "dev", full=True).ok
    (tutorial / "build/dev/stray.manifest.json").write_text("{}\n")
    dev = check_build(tutorial, dev_jobs, "build", "dev", full=True)
    assert dev.differences == (FileDifference("build/dev/stray.manifest.json", ORPHAN),)
    assert check_build(tutorial, jobs_of(tutorial), "build", "base", full=True).ok

    elsewhere = jobs_of(tutorial, out="jobs")
    assert check_build(tutorial, elsewhere, "jobs", "base", full=True).paths(MISSING) == [
        "jobs/real_time_sales.manifest.json",
        "jobs/real_time_sales.py",
    ]


# --------------------------------------------------------------------------- build's warnings
def test_unsafe_checkpoint_changes_of_a_rebuild(tmp_path):
    root = shop(tmp_path)
    built(root)
    assert unsafe_checkpoint_changes(jobs_of(root), root) == []  # nothing changed

    pipelines = root / "config/pipelines.yaml"
    replace_in(pipelines, "spark.sql.shuffle.partitions: 4", "spark.sql.shuffle.partitions: 8")
    changes = unsafe_checkpoint_changes(jobs_of(root), root)
    # Only the stateful queries recorded the number of partitions in their checkpoint.
    assert sorted(c.finding.query for c in changes) == [
        "shop.page_views",
        "shop.paid",
        "shop.revenue",
    ]
    for change in changes:
        assert change.job == "build/shop.py"
        assert change.finding.verdict == UNSAFE and change.finding.rule == "checkpoint-conf"
        assert change.finding.checkpoint == f"checkpoints/shop/{change.finding.query[5:]}"
        assert change.finding.message == "spark.sql.shuffle.partitions: 4 -> 8"


def test_a_safe_change_or_no_previous_manifest_warns_of_nothing(tmp_path):
    root = shop(tmp_path)
    built(root)
    replace_in(root / "config/outputs.yaml", "topic: page-views", "topic: page-views-v2")
    assert unsafe_checkpoint_changes(jobs_of(root), root) == []  # safe: a sink topic

    replace_in(root / "config/inputs.yaml", "subscribe: clicks", "subscribe: clicks_v2")
    manifest = root / "build/shop.manifest.json"
    assert unsafe_checkpoint_changes(jobs_of(root), root)  # unsafe: a source topic...
    manifest.write_text("{damaged")
    assert unsafe_checkpoint_changes(jobs_of(root), root) == []  # ...not judged: check's job
    manifest.unlink()
    assert unsafe_checkpoint_changes(jobs_of(root), root) == []  # a first build


# --------------------------------------------------------------------------- diff's inputs
def test_manifest_pairs_of_files_and_folders(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, pipelines in ((old, ("a", "b")), (new, ("b", "c"))):
        (folder / "dev").mkdir(parents=True)
        for name in pipelines:
            (folder / "dev" / f"{name}.manifest.json").write_text(f'{{"side": "{folder.name}"}}')
    pairs = manifest_pairs(old, new)
    assert [(p.label, p.old is not None, p.new is not None) for p in pairs] == [
        ("dev/a.manifest.json", True, False),
        ("dev/b.manifest.json", True, True),
        ("dev/c.manifest.json", False, True),
    ]
    (single,) = manifest_pairs(old / "dev/b.py", new / "dev/b.manifest.json")
    assert single == ManifestPair("b.manifest.json", '{"side": "old"}', '{"side": "new"}')


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("old", "new/b.py", "OLD and NEW must both be files or both be folders"),
        ("old/a.txt", "new/b.py", "expected a generated job (.py), a .manifest.json"),
        ("old/a.py", "new/nope.py", "nope.manifest.json not found"),
        ("empty", "empty", "no *.manifest.json in"),
    ],
)
def test_builds_that_cannot_be_compared(tmp_path, old, new, message):
    for folder in ("old", "new", "empty"):
        (tmp_path / folder).mkdir()
    (tmp_path / "old/a.manifest.json").write_text("{}")
    with pytest.raises(CompareError, match=re.escape(message)):
        manifest_pairs(tmp_path / old, tmp_path / new)


def test_compare_builds_finds_and_refuses(tmp_path):
    root = shop(tmp_path)
    (before,) = [job.manifest for job in jobs_of(root)]
    replace_in(root / "config/inputs.yaml", "subscribe: clicks", "subscribe: clicks_v2")
    (after,) = [job.manifest for job in jobs_of(root)]
    findings = compare_builds([ManifestPair("shop.manifest.json", before, after)])
    assert {(f.verdict, f.rule) for f in findings} == {(UNSAFE, "source-topics")}
    assert compare_builds([ManifestPair("shop.manifest.json", before, before)]) == []
    with pytest.raises(ManifestError, match="old shop.manifest.json: not a tauro-gen manifest"):
        compare_builds([ManifestPair("shop.manifest.json", "{not json", after)])


def test_manifest_pairs_at_a_git_revision(tmp_path):
    root = shop(tmp_path)
    with pytest.raises(GitError, match="is not in a git work tree"):
        manifest_pairs_at(root, "build", "HEAD")
    built(root)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=root, check=True)
    committed = (root / "build/shop.manifest.json").read_text()
    replace_in(root / "config/inputs.yaml", "subscribe: clicks", "subscribe: clicks_v2")
    built(root)

    (pair,) = manifest_pairs_at(root, "build", "HEAD")
    assert pair.label == "shop.manifest.json"
    assert pair.old == committed
    assert pair.new == (root / "build/shop.manifest.json").read_text() != committed
    with pytest.raises(GitError, match="unknown git revision 'no-such-ref'"):
        manifest_pairs_at(root, "build", "no-such-ref")
    with pytest.raises(GitError, match=r"no \*.manifest.json in nowhere/ at HEAD"):
        manifest_pairs_at(root, "nowhere", "HEAD")


# --------------------------------------------------------------------------- start-up
def test_commands_that_generate_nothing_import_neither_black_nor_jinja():
    """A fifth of their start-up (generate.py imports both lazily, for the commands that
    format jobs): the CLI's own module-level imports must not pull them in."""
    code = textwrap.dedent(f"""
        import contextlib, io, sys
        from tauro_gen.cli import main
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            assert main(["validate", "-p", {str(REPO)!r}]) == 0
            assert main(["list", "-p", {str(REPO)!r}]) == 0
            assert main(["explain", "--pipeline", "real_time_sales", "-p", {str(REPO)!r}]) == 0
        sys.exit(sorted({{"black", "jinja2"}} & set(sys.modules)) or None)
        """)
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
