"""The broken-project corpus: one folder per mistake a user can make, each a tiny project plus
an `expected.yaml` naming the diagnostic it must produce.

    tests/broken/<case>/config/...      the project, with exactly one mistake
    tests/broken/<case>/expected.yaml   code, severity, file, line[, column][, message][, env]

An `error` case must produce exactly that one error (one mistake, one message) and nothing
else; a `warning` case must produce that warning and no error. Cases are data: add a folder,
not code. Every diagnostic, of every case, must be located and carry a hint.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tauro_gen.generate import load_and_validate

BROKEN = Path(__file__).resolve().parent / "broken"
CASES = sorted(p for p in BROKEN.iterdir() if (p / "expected.yaml").is_file())
EXPECTED_KEYS = {"code", "severity", "file", "line", "column", "message", "env"}


def _expected(case: Path) -> dict:
    data = yaml.safe_load((case / "expected.yaml").read_text())
    assert isinstance(data, dict) and not set(data) - EXPECTED_KEYS, f"{case.name}: {data}"
    return data


def _show(diagnostics) -> str:
    return "\n".join(d.render() for d in diagnostics) or "(nothing)"


def test_corpus_is_large_enough():
    assert len(CASES) >= 80


def test_every_code_in_the_corpus_is_documented():
    documented = (BROKEN.parent.parent / "docs" / "diagnostics.md").read_text()
    for case in CASES:
        code = _expected(case)["code"]
        assert f"| {code} " in documented, f"{code} ({case.name}) missing from docs/diagnostics.md"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_project(case: Path):
    expected = _expected(case)
    project, report = load_and_validate(case, str(expected.get("env", "base")))
    diagnostics = report.sorted()
    wanted = [
        d
        for d in diagnostics
        if d.code == expected["code"]
        and d.severity.value == expected["severity"]
        and d.location.file == expected["file"]
        and d.location.line == expected["line"]
        and ("column" not in expected or d.location.column == expected["column"])
        and expected.get("message", "") in d.message
    ]
    assert wanted, f"expected {expected}, got:\n{_show(diagnostics)}"
    if expected["severity"] == "error":
        assert report.errors == wanted[:1], f"one mistake, one error:\n{_show(report.errors)}"
        assert project is None
    else:
        assert not report.errors, _show(report.errors)
    for d in diagnostics:
        assert d.hint, f"no hint: {d.render()}"
        assert d.location.file
        if d.code not in (
            "TG107",
            "TG108",
            "TG116",
            "TG117",
        ):  # about a folder, not a line in a file
            assert d.location.line > 0 and d.location.column > 0, d.render()
