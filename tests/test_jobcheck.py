"""build's safety net: a job that would not start is refused, located in the user's code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tauro_gen.diagnostics import Location
from tauro_gen.generate import generate, load_and_validate
from tauro_gen.jobcheck import JobRefused, check_job
from tauro_gen.sourcemap import map_copied

CONFIG = {
    "pipelines.yaml": "sales:\n  nodes: [clean]\n",
    "nodes.yaml": "clean:\n  function: src.nodes.clean.clean\n  input: [raw]\n" "  output: [out]\n",
    "inputs.yaml": "raw:\n  format: csv\n  path: data/in/\n  schema: 'id INT'\n",
    "outputs.yaml": "out:\n  format: parquet\n  path: data/out/\n",
}


def _project(root: Path, node_code: str) -> Path:
    (root / "config").mkdir()
    for name, text in CONFIG.items():
        (root / "config" / name).write_text(text)
    (root / "src" / "nodes").mkdir(parents=True)
    (root / "src" / "nodes" / "clean.py").write_text(textwrap.dedent(node_code))
    return root


def _generate(root: Path):
    project, report = load_and_validate(root, "base")
    assert project is not None, [d.render() for d in report.errors]
    return generate(project, ["sales"])


def test_an_undefined_name_in_node_code_refuses_the_job(tmp_path):
    root = _project(
        tmp_path,
        """
        def clean(df):
            return df.limit(LIMIT)
        """,
    )
    with pytest.raises(JobRefused) as caught:
        _generate(root)
    (problem,) = caught.value.diagnostics
    assert problem.code == "TG312"
    assert problem.location == Location("src/nodes/clean.py", 3, 21)
    assert "undefined name 'LIMIT'" in problem.message
    assert not (root / "build").exists()


def test_a_redefinition_the_copy_makes_is_refused_in_the_users_code():
    text = "def helper():\n    return 1\n\n\ndef helper():\n    return 2\n"
    copied = [("src/a.py", 7, "def helper():\n    return 1")]
    (problem,) = check_job(text, "build/x.py", map_copied(text, copied)).problems
    assert problem.location == Location("src/a.py", 7, 1)  # the job's own is the second
    assert "'helper' defined again, replacing the unused 'helper' of src/a.py:7" in problem.message


def test_a_redefinition_within_one_users_file_is_that_modules_own():
    text = "def helper():\n    return 1\n\n\ndef helper():\n    return 2\n"
    copied = [("src/a.py", 1, "def helper():\n    return 1"), ("src/a.py", 5, "def helper():")]
    assert check_job(text, "build/x.py", map_copied(text, copied)).problems == ()


def test_a_job_that_starts_passes(tmp_path):
    root = _project(
        tmp_path,
        """
        LIMIT = 10


        def clean(df):
            return df.limit(LIMIT)
        """,
    )
    (job,) = _generate(root)
    assert "LIMIT = 10" in job.source and not job.problems


def test_tauro_gens_own_code_is_reported_in_the_job():
    text = "def main():\n    return missing\n"
    (problem,) = check_job(text, "build/x.py", map_copied(text, [])).problems
    assert problem.location == Location("build/x.py", 2, 12)
    assert "report" in problem.hint


def test_what_only_the_compiler_refuses_is_found():
    text = "def f():\n    nonlocal x\n"
    (problem,) = check_job(text, "build/x.py", map_copied(text, [])).problems
    assert problem.code == "TG312" and problem.location.line == 2


FLOOR = "3.2.0"  # pyproject: pyflakes>=3.2,<5


def test_the_safety_net_works_on_the_floor_pyflakes():
    """The tests above, again, with the oldest pyflakes the range allows."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    target = root / ".cache" / "pyflakes" / FLOOR
    if not (target / "pyflakes").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
            + [f"pyflakes=={FLOOR}"],
            check=True,
        )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(root)])}
    probe = "import pyflakes; print(pyflakes.__version__)"
    version = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == FLOOR
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            __file__,
            "-k",
            "not floor",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
