"""Details of the command line a user notices: help text, shell completion, `run`'s errors
when spark-submit cannot start (no Spark needed for these)."""

from __future__ import annotations

import os
import subprocess

import pytest
from harness import VENV_BIN, tauro_gen

from tauro_gen.cli import app

COMMANDS = sorted(command.name or command.callback.__name__ for command in app.registered_commands)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_shows_no_bool_metavar(command):
    result = tauro_gen(*([command] if command else []), "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: tauro-gen" in result.stdout
    assert "<bool>" not in result.stdout, result.stdout


def test_run_is_a_command_with_its_options():
    help_text = tauro_gen("run", "--help").stdout
    for option in ("--pipeline", "--env", "--available-now", "SPARK_SUBMIT_ARGS"):
        assert option in help_text


def test_install_completion_writes_the_shell_script(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "SHELL": "/bin/bash"}
    result = subprocess.run(
        [str(VENV_BIN / "tauro-gen"), "--install-completion"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    script = tmp_path / ".bash_completions" / "tauro-gen.sh"
    assert script.is_file()
    assert str(script) in (tmp_path / ".bashrc").read_text()


def test_completion_completes_command_names():
    env = {
        **os.environ,
        "_TAURO_GEN_COMPLETE": "complete_bash",
        "COMP_WORDS": "tauro-gen bu",
        "COMP_CWORD": "1",
    }
    result = subprocess.run(
        [str(VENV_BIN / "tauro-gen")], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["build"]


def _without_java(tmp_path) -> dict[str, str]:
    """A PATH with the tools spark-submit's script needs but no java, and no JAVA_HOME."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "uname", "ps", "env", "python3"):
        for folder in ("/usr/bin", "/bin"):
            if os.path.exists(f"{folder}/{tool}"):
                (bin_dir / tool).symlink_to(f"{folder}/{tool}")
                break
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(bin_dir)
    return env


def test_run_without_java_says_so_in_one_line_and_exits_2(tutorial, tmp_path):
    result = subprocess.run(
        [str(VENV_BIN / "tauro-gen"), "run", "--pipeline", "real_time_sales"],
        cwd=tutorial,
        env=_without_java(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: java not found: install Java 17+ or set JAVA_HOME"
    ), result.stderr
    assert "Traceback" not in result.stderr
    # It built first, exactly as `build` does.
    assert (tutorial / "build" / "real_time_sales.py").is_file()


def test_run_with_a_java_home_without_java(tutorial, tmp_path):
    env = {**os.environ, "JAVA_HOME": str(tmp_path)}
    result = subprocess.run(
        [str(VENV_BIN / "tauro-gen"), "run", "--pipeline", "real_time_sales"],
        cwd=tutorial,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: JAVA_HOME={tmp_path} holds no bin/java: point it at Java 17+"
    )


def test_run_available_now_is_refused_for_a_batch_pipeline(project):
    root = project("batch_sales")
    result = tauro_gen("run", "--pipeline", "daily_sales_report", "--available-now", cwd=root)
    assert result.returncode == 2
    assert "--available-now is for streaming pipelines" in result.stderr
