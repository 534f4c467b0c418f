"""The project's own code is formatted one way and lint-clean (pyproject: [tool.black], [tool.ruff]).

Generated jobs have their own checks (test_golden.py): black's defaults, as users run it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)


def test_project_code_is_black_formatted():
    result = _run(str(BIN / "black"), "--check", "--quiet", ".")
    assert result.returncode == 0, "run `.venv/bin/black .`:\n" + result.stderr


def test_project_code_passes_ruff():
    result = _run(str(BIN / "ruff"), "check", "--quiet", ".")
    assert result.returncode == 0, result.stdout + result.stderr
