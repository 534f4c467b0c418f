"""`generate` forks one worker per core for big projects; the output must not depend on it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from harness import REPO

from tauro_gen import generate as generate_mod
from tauro_gen.format import format_source


@pytest.fixture(scope="module")
def big_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "make_project.py"), str(root), "--pipelines", "40"],
        check=True,
        capture_output=True,
    )
    project, report = generate_mod.load_and_validate(root, "base")
    assert project is not None, report
    return project


def test_forked_workers_give_the_bytes_of_one_process(big_project, monkeypatch):
    names = sorted(big_project.pipelines)
    monkeypatch.setattr(generate_mod, "_cores", lambda: 2)
    forked = generate_mod.generate(big_project, names)
    monkeypatch.setattr(generate_mod, "_cores", lambda: 1)
    single = generate_mod.generate(big_project, names)
    assert [j.pipeline for j in forked] == names
    assert [(j.path, j.source) for j in forked] == [(j.path, j.source) for j in single]
    assert all(format_source(j.source) == j.source for j in forked[:3])
