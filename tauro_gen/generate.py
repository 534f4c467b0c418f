"""The generator end to end: load → validate → plan → render → format, for the CLI and tests.

This module only sequences the stages; each stage lives in its own module and never calls
back into an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Report
from .format import format_source
from .load import load_project
from .model import Project
from .plan import JobPlan, job_path, plan_job
from .render import render_job
from .validate import validate_project


@dataclass(frozen=True)
class GeneratedJob:
    pipeline: str
    path: str  # relative to the project root
    plan: JobPlan
    source: str


def load_and_validate(root: Path, env: str) -> tuple[Project | None, Report]:
    raw, report = load_project(root, env)
    project, checks = validate_project(raw)
    report.extend(checks)
    return (None if report.has_errors else project), report


def generate(project: Project, pipelines: list[str], out_dir: str = "build") -> list[GeneratedJob]:
    jobs = []
    for name in pipelines:
        path = job_path(name, project.env, out_dir)
        plan = plan_job(project, name, path)
        jobs.append(GeneratedJob(name, path, plan, format_source(render_job(plan))))
    return jobs
