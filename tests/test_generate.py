"""`generate`: one forked worker per core for big projects, and jobs read back from build/
when nothing that made them changed; the output must not depend on either."""

from __future__ import annotations

import ast
import dataclasses
import gc
import subprocess
import sys
from pathlib import Path

import black
import pytest
from harness import REPO

import tauro_gen
from tauro_gen import format as fmt
from tauro_gen import generate as generate_mod
from tauro_gen.format import format_source
from tauro_gen.manifest import manifest_files
from tauro_gen.write import write_files


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
    return root, project


def test_forked_workers_give_the_bytes_of_one_process(big_project, monkeypatch):
    _, project = big_project
    names = sorted(project.pipelines)
    monkeypatch.setattr(generate_mod, "_cores", lambda: 2)
    forked = generate_mod.generate(project, names)
    monkeypatch.setattr(generate_mod, "_cores", lambda: 1)
    single = generate_mod.generate(project, names)
    assert [j.pipeline for j in forked] == names
    assert [(j.path, j.source, j.manifest) for j in forked] == [
        (j.path, j.source, j.manifest) for j in single
    ]
    assert all(format_source(j.source) == j.source for j in forked[:3])


def test_the_garbage_collector_runs_less_often_while_jobs_are_generated(big_project):
    _, project = big_project
    before = gc.get_threshold()
    seen = []
    real = generate_mod._generate_one

    def recording(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    generate_mod._generate_one = recording
    try:
        generate_mod.generate(project, sorted(project.pipelines)[:2])
    finally:
        generate_mod._generate_one = real
    assert seen == [(10_000, *before[1:])] * 2
    assert gc.get_threshold() == before


def written(root: Path, jobs) -> None:
    write_files({**{root / j.path: j.source for j in jobs}, **manifest_files(jobs, root)})


def no_black(monkeypatch) -> None:
    def fail(rendered, tree=None):
        raise AssertionError("formatted a job that could be reused")

    monkeypatch.setattr(fmt, "format_job", fail)


def test_a_build_nothing_changed_reuses_every_job_in_every_worker(big_project, monkeypatch):
    root, project = big_project
    names = sorted(project.pipelines)
    monkeypatch.setattr(generate_mod, "_cores", lambda: 2)
    fresh = generate_mod.generate(project, names)
    written(root, fresh)
    no_black(monkeypatch)
    again = generate_mod.generate(project, names, reuse_from=root)
    assert all(job.reused for job in again)
    assert [(j.source, j.manifest) for j in again] == [(j.source, j.manifest) for j in fresh]


def test_only_the_job_whose_node_code_changed_is_generated_again(project):
    root = project("kafka_orders")
    model, _ = generate_mod.load_and_validate(root, "base")
    names = sorted(model.pipelines)
    written(root, generate_mod.generate(model, names))
    code = root / "src/nodes/raw.py"  # used by raw_archive only
    code.write_text(code.read_text() + "\n\nUNUSED = 1\n")
    code.write_text(code.read_text().replace("def decode(", "def decode(  "))
    model, _ = generate_mod.load_and_validate(root, "base")
    jobs = generate_mod.generate(model, names, reuse_from=root)
    assert {j.pipeline: j.reused for j in jobs} == {
        "orders_archive": True,
        "paid_orders": True,
        "raw_archive": False,
    }
    fresh = generate_mod.generate(model, names)
    assert [(j.source, j.manifest) for j in jobs] == [(j.source, j.manifest) for j in fresh]


def test_another_generator_or_an_edited_file_is_not_reused(tutorial, monkeypatch):
    root = tutorial
    project, _ = generate_mod.load_and_validate(root, "base")
    fresh = generate_mod.generate(project, ["real_time_sales"])
    written(root, fresh)
    assert generate_mod.generate(project, ["real_time_sales"], reuse_from=root)[0].reused

    # Another black (or tauro-gen, template, runtime or renderer): the same plan may give
    # other bytes.
    other = dataclasses.replace(generate_mod.generator_fingerprint(), black="26.1.0")
    with monkeypatch.context() as patch:
        patch.setattr(generate_mod, "generator_fingerprint", lambda: other)
        (job,) = generate_mod.generate(project, ["real_time_sales"], reuse_from=root)
    assert not job.reused and '"black": "26.1.0"' in job.manifest

    # A job edited by hand no longer has the sha256 its manifest records.
    script = root / fresh[0].path
    script.write_text(script.read_text() + "# edited\n")
    (job,) = generate_mod.generate(project, ["real_time_sales"], reuse_from=root)
    assert not job.reused and job.source == fresh[0].source

    # A manifest that is not one (or of an unknown version): generated again, no error.
    manifest = root / "build/real_time_sales.manifest.json"
    for damaged in (
        "{",
        fresh[0].manifest.replace('"manifest_version": 2', '"manifest_version": 9'),
    ):
        manifest.write_text(damaged)
        (job,) = generate_mod.generate(project, ["real_time_sales"], reuse_from=root)
        assert not job.reused and job.manifest == fresh[0].manifest


def test_the_fingerprint_covers_the_code_that_turns_a_plan_into_text():
    """A module render or format takes code from must be in RENDERER_MODULES, or a change to
    it would leave stale jobs reused; plan and model only shape the plan, whose digest the
    manifest records."""
    package = REPO / "tauro_gen"
    used = set()
    for name in ("render.py", "format.py"):
        tree = ast.parse((package / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                modules = [node.module] if node.module else [a.name for a in node.names]
                used |= {f"{module.split('.')[0]}.py" for module in modules}
    assert used - {"plan.py", "model.py"} <= set(generate_mod.RENDERER_MODULES)

    fingerprint = generate_mod.generator_fingerprint()
    assert fingerprint.black == black.__version__
    assert fingerprint.tauro_gen == tauro_gen.__version__
    files = [package / name for name in generate_mod.RENDERER_MODULES]
    assert fingerprint.renderer_sha256 == generate_mod._files_sha256(package, files)
    assert generate_mod._files_sha256(package, files[:-1]) != fingerprint.renderer_sha256
