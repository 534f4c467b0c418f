"""`tauro-gen init`: the tutorial project, exactly as the tutorial writes it, ready to run."""

from __future__ import annotations

import re

import pytest
from harness import REPO, drop_file, run_job, tauro_gen

from tauro_gen.scaffold import scaffold_files

# The seed tutorial is the product's user story; the repository keeps a copy so this test
# always runs, and checks the copy against the workplace's shared/ when it is there.
SEED = REPO / "docs" / "seed" / "streaming_tutorial.rst"
SHARED_SEED = REPO.parent / "shared" / "seed" / "streaming_tutorial.rst"
TUTORIAL_FILES = [
    "config/pipelines.yaml",
    "config/nodes.yaml",
    "config/inputs.yaml",
    "config/outputs.yaml",
    "src/nodes/process_sales.py",
]


def rst_blocks() -> dict[str, str]:
    """The tutorial's `Create <file>:` code blocks, dedented."""
    text = SEED.read_text()
    blocks = {}
    pattern = re.compile(r"Create ``([^`]+)``:\n\n\.\. code-block:: \w+\n\n((?:   .*\n|\s*\n)+)")
    for match in pattern.finditer(text):
        lines = match.group(2).rstrip("\n").split("\n")
        blocks[match.group(1)] = "\n".join(line[3:] for line in lines) + "\n"
    return blocks


def test_scaffold_files_are_the_tutorials():
    files = scaffold_files()
    for name in TUTORIAL_FILES:
        assert files[name] == (REPO / name).read_bytes(), name
    if SHARED_SEED.is_file():
        assert SEED.read_text() == SHARED_SEED.read_text(), "docs/seed/ is out of date"
    blocks = rst_blocks()
    assert set(blocks) == set(TUTORIAL_FILES)
    for name in TUTORIAL_FILES:
        assert files[name].decode() == blocks[name], name
    samples = [n for n in files if n.startswith("samples/")]
    assert samples == ["samples/sales_2024_01_15.csv", "samples/sales_2024_01_16.csv"]
    assert files["samples/sales_2024_01_15.csv"].startswith(b"id,date,amount,customer\n1,")
    assert ".gitignore" in files and "README.md" in files


def test_init_builds_and_checks_clean(tmp_path):
    target = tmp_path / "sales"
    result = tauro_gen("init", str(target))
    assert result.returncode == 0, result.stderr
    assert f"created {target / 'config/inputs.yaml'}" in result.stdout
    assert "next: cd" in result.stdout
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == (
        sorted(scaffold_files())
    )
    assert tauro_gen("validate", cwd=target).returncode == 0
    assert tauro_gen("build", "--all", cwd=target).returncode == 0
    assert tauro_gen("check", cwd=target).returncode == 0
    graph = tauro_gen("graph", "--pipeline", "real_time_sales", cwd=target).stdout
    assert "```mermaid\n" + graph + "```" in (target / "README.md").read_text()


def test_init_never_overwrites(tmp_path):
    target = tmp_path / "sales"
    target.mkdir()
    (target / "README.md").write_text("mine\n")
    result = tauro_gen("init", str(target))
    assert result.returncode == 2
    assert "already has README.md" in result.stderr and "never overwrites" in result.stderr
    assert (target / "README.md").read_text() == "mine\n"
    assert not (target / "config").exists()
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert tauro_gen("init", str(a_file)).returncode == 2


def test_init_into_a_folder_with_other_files(tmp_path):
    target = tmp_path / "sales"
    target.mkdir()
    (target / "notes.txt").write_text("kept\n")
    assert tauro_gen("init", str(target)).returncode == 0
    assert (target / "notes.txt").read_text() == "kept\n"


@pytest.mark.spark
def test_scaffold_runs_as_is(tmp_path, spark):
    """Build, drop the samples in the way the README says, run to the end: 5 sales out."""
    target = tmp_path / "sales"
    assert tauro_gen("init", str(target)).returncode == 0
    assert tauro_gen("build", "--all", cwd=target).returncode == 0
    for sample in sorted((target / "samples").iterdir()):
        drop_file(target / "data/input", sample.name, sample.read_text())
    result = run_job(target, "build/real_time_sales.py", "--available-now")
    assert result.returncode == 0, result.stdout
    rows = spark.read.parquet(str(target / "data/output")).collect()
    assert sorted(r.id for r in rows) == [1, 2, 3, 4, 5]
    assert {r.day_of_week for r in rows} == {2, 3}  # 2024-01-15 was a Monday


def test_repository_example_project_is_the_tutorial_as_written():
    """config/ and src/nodes/ at the repository root are the seed's files, byte for byte."""
    blocks = rst_blocks()
    for name in TUTORIAL_FILES:
        assert (REPO / name).read_text() == blocks[name], name
