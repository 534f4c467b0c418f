"""The example projects whose generated jobs are kept as golden files in tests/golden/.

Regenerate after an intended change with:  .venv/bin/python tests/update_golden.py
then review `git diff tests/golden` like any code change.
"""

from __future__ import annotations

from pathlib import Path

from harness import PROJECTS, REPO

from tauro_gen.generate import generate, load_and_validate

GOLDEN = Path(__file__).resolve().parent / "golden"


def golden_projects() -> dict[str, Path]:
    projects = {"tutorial": REPO}
    projects.update({p.name: p for p in sorted(PROJECTS.iterdir()) if (p / "config").is_dir()})
    return projects


def generated_files(name: str, root: Path) -> dict[str, str]:
    """{relative golden path: text} of every pipeline's job and manifest (base env)."""
    project, report = load_and_validate(root, "base")
    assert project is not None, "\n".join(d.render() for d in report.errors)
    files = {}
    for job in generate(project, sorted(project.pipelines)):
        files[f"{name}/{job.pipeline}.py"] = job.source
        files[f"{name}/{job.pipeline}.manifest.json"] = job.manifest
    return files
