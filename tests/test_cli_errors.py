"""The command line never shows a traceback for anything a user can do wrong, maps outcomes to
the documented exit codes, and a build that fails leaves the previous build/ untouched."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from harness import PROJECTS, REPO

import tauro_gen.render as render_mod
import tauro_gen.write as write_mod
from tauro_gen import cli
from tauro_gen.cli import main

BROKEN = Path(__file__).resolve().parent / "broken"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert "Traceback" not in err.getvalue() + out.getvalue()
    return code, out.getvalue(), err.getvalue()


def seed_copy(tmp_path: Path) -> Path:
    root = tmp_path / "tutorial"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "src", root / "src")
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- validate
def test_valid_project_exits_0_and_reports_warnings(tmp_path):
    code, out, err = run("validate", "--project", str(seed_copy(tmp_path)))
    assert code == 0
    assert out.startswith("ok: 1 pipeline(s), env 'base', 1 warning(s)")
    assert "config/inputs.yaml:2:3: warning: input 'sales_stream' has no schema" in err


def test_text_output_has_every_diagnostic_and_a_summary():
    code, out, err = run("validate", "--project", str(BROKEN / "unknown_key_input"))
    assert code == 2 and out == ""
    lines = err.splitlines()
    expected = (
        "config/inputs.yaml:3:5: error: input 'raw_sales': unknown key 'fromat' "
        "(did you mean 'format'?)"
    )
    assert lines == [expected, "1 error(s), 0 warning(s)"]


def test_json_output_is_a_list_on_stdout_only():
    code, out, err = run("validate", "-p", str(BROKEN / "shared_checkpoint"), "--format", "json")
    assert code == 2 and err == ""
    (diagnostic,) = json.loads(out)
    assert diagnostic == {
        "severity": "error",
        "code": "TG501",
        "file": "config/outputs.yaml",
        "line": 7,
        "column": 15,
        "message": "output 'audit' of pipeline 'sales' shares checkpoint 'state/sales' with "
        "output 'clean_sales' of pipeline 'sales'",
        "hint": "every streaming query needs its own checkpoint folder",
    }


def test_json_output_of_a_valid_project(tmp_path):
    code, out, err = run("validate", "-p", str(seed_copy(tmp_path)), "--format", "json")
    assert code == 0 and err == ""
    assert [d["code"] for d in json.loads(out)] == ["TG503"]


def test_missing_project_folder_is_a_located_diagnostic(tmp_path):
    code, out, _ = run("validate", "-p", str(tmp_path / "nowhere"), "--format", "json")
    assert code == 2
    assert [d["code"] for d in json.loads(out)] == ["TG107"]


def test_env_is_passed_through():
    code, out, _ = run(
        "validate",
        "-p",
        str(BROKEN / "env_overlay_breaks_value"),
        "--env",
        "dev",
        "--format",
        "json",
    )
    assert code == 2
    assert [(d["code"], d["file"]) for d in json.loads(out)] == [
        ("TG203", "config/dev/outputs.yaml")
    ]
    assert run("validate", "-p", str(BROKEN / "env_overlay_breaks_value"))[0] == 0


# --------------------------------------------------------------------------- command line
@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--format", "xml"),
        ("validate", "--bogus"),
        ("no-such-command",),
        ("build",),  # neither --pipeline nor --all
    ],
)
def test_command_line_mistakes_exit_2(args, tmp_path):
    code, _, err = run(*args, *(["-p", str(seed_copy(tmp_path))] if args == ("build",) else []))
    assert code == 2
    assert err.strip()


def test_internal_error_is_one_line_and_exit_3(monkeypatch, tmp_path):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "load_and_validate", broken)
    code, out, err = run("validate", "-p", str(seed_copy(tmp_path)))
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("tauro-gen 0.") and "internal error, sorry" in err
    assert "RuntimeError: boom" in err and "second line" not in err


def test_debug_variable_shows_the_traceback(monkeypatch, tmp_path):
    def broken(*_args, **_kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "load_and_validate", broken)
    monkeypatch.setenv("TAURO_GEN_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["validate", "-p", str(seed_copy(tmp_path))])


def test_ctrl_c_exits_130(monkeypatch, tmp_path):
    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "load_and_validate", interrupted)
    assert run("validate", "-p", str(seed_copy(tmp_path)))[0] == 130


@pytest.mark.parametrize("case", ["yaml_python_tag", "node_code_not_utf8", "no_config_folder"])
def test_broken_projects_never_crash_any_reading_command(case):
    for command in (["validate"], ["list"], ["build", "--all"]):
        code, _, err = run(*command, "-p", str(BROKEN / case))
        assert code == 2, (command, err)


# --------------------------------------------------------------------------- atomic builds
def test_build_with_errors_writes_nothing(tmp_path):
    root = seed_copy(tmp_path)
    assert run("build", "--pipeline", "real_time_sales", "-p", str(root))[0] == 0
    before = snapshot(root / "build")
    assert "real_time_sales.py" in before
    inputs = root / "config" / "inputs.yaml"
    inputs.write_text(inputs.read_text().replace("format: csv", "format: cvs"))
    code, out, err = run("build", "--pipeline", "real_time_sales", "-p", str(root))
    assert code == 2 and out == ""
    assert "config/inputs.yaml:4:13: error: input 'sales_stream': 'format': 'cvs'" in err
    assert snapshot(root / "build") == before


def test_first_build_with_errors_creates_no_build_folder(tmp_path):
    root = tmp_path / "p"
    shutil.copytree(BROKEN / "dependency_cycle", root)
    assert run("build", "--all", "-p", str(root))[0] == 2
    assert not (root / "build").exists()


def _two_pipeline_project(tmp_path: Path) -> Path:
    root = tmp_path / "file_formats"
    shutil.copytree(PROJECTS / "file_formats", root)
    assert run("build", "--all", "-p", str(root))[0] == 0
    # Change both pipelines so that a successful build would rewrite both jobs.
    pipelines = root / "config" / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text().replace("description: ", "description: Changed. "))
    return root


def test_crash_while_generating_writes_nothing(tmp_path, monkeypatch):
    root = _two_pipeline_project(tmp_path)
    before = snapshot(root / "build")
    real, calls = render_mod.render_job, []

    def render_then_crash(plan):
        calls.append(plan.pipeline)
        if len(calls) == 2:
            raise RuntimeError("template bug")
        return real(plan)

    monkeypatch.setattr(render_mod, "render_job", render_then_crash)
    code, _, err = run("build", "--all", "-p", str(root))
    assert code == 3 and "internal error" in err and len(calls) == 2
    assert snapshot(root / "build") == before


def test_disk_full_while_writing_leaves_the_previous_build(tmp_path, monkeypatch):
    root = _two_pipeline_project(tmp_path)
    before = snapshot(root / "build")
    real, calls = write_mod.tempfile.mkstemp, []

    def mkstemp_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(write_mod.tempfile, "mkstemp", mkstemp_then_fail)
    code, _, err = run("build", "--all", "-p", str(root))
    assert code == 3 and "No space left on device" in err and "internal error" not in err
    assert snapshot(root / "build") == before  # nothing replaced, no temporary file left


@pytest.mark.parametrize(
    "out, problem",
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("/tmp/elsewhere", "is absolute"),
        ("../outside", "outside the project"),
        ("build/../..", "outside the project"),
        (".", "the project folder itself"),
        ("build\n", "control character"),
    ],
)
def test_out_must_be_a_folder_inside_the_project(tmp_path, out, problem):
    """`--out ''` wrote the jobs into / (the empty path joined to the root)."""
    root = seed_copy(tmp_path)
    code, _, err = run("build", "--all", "-p", str(root), "--out", out)
    assert code == 2 and problem in err and "--out" in err
    assert sorted(p.name for p in root.iterdir()) == ["config", "src"]


def test_out_inside_the_project_is_written(tmp_path):
    root = seed_copy(tmp_path)
    code, _, _ = run("build", "--all", "-p", str(root), "--out", "dist/jobs")
    assert code == 0 and (root / "dist" / "jobs" / "real_time_sales.py").is_file()


@pytest.mark.parametrize(
    "damage",
    [
        b"not json",
        b"{}",
        b"[]",
        b'{"manifest_version": 99}',
        b"\xff\xfe",
        b'{"manifest_version": 2}',
    ],
    ids=["not-json", "empty-object", "list", "unknown-version", "not-utf8", "keys-missing"],
)
def test_a_damaged_manifest_in_build_is_a_clear_answer_never_an_internal_error(tmp_path, damage):
    """build repairs it (exit 0), check reports build/ stale (exit 1), diff says which file
    is not a manifest (exit 2, one line)."""
    root = seed_copy(tmp_path)
    assert run("build", "--all", "-p", str(root))[0] == 0
    shutil.copytree(root / "build", root / "old")
    manifest = root / "build" / "real_time_sales.manifest.json"
    manifest.write_bytes(damage)
    code, _, err = run("diff", str(root / "old"), str(root / "build"), "-p", str(root))
    assert code == 2 and "real_time_sales.manifest.json" in err and len(err.splitlines()) == 1
    assert run("check", "-p", str(root))[0] == 1
    assert run("build", "--all", "-p", str(root))[0] == 0
    assert manifest.read_bytes() == (root / "old" / "real_time_sales.manifest.json").read_bytes()


def test_a_job_that_could_not_start_is_refused_with_exit_2(tmp_path):
    """The safety net (jobcheck): node code using a name nothing defines is located in the
    user's file, exit 2, nothing written — not an internal error."""
    root = seed_copy(tmp_path)
    (root / "src" / "nodes" / "process_sales.py").write_text(
        "from pyspark.sql import functions as F\n\n\n"
        "def process_sales(df):\n"
        '    return df.filter(F.col("amount") > threshold)\n'
    )
    for command in ("build", "check"):
        code, _, err = run(command, "--all", "-p", str(root))
        assert code == 2, err
        assert "src/nodes/process_sales.py:5:" in err and "undefined name 'threshold'" in err
    assert not (root / "build").exists()
