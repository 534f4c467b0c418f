"""`format_job` must give exactly `black.format_str`'s bytes for the whole file: users run
`black --check` on what we write. It formats a job a top-level statement at a time and reuses
black's output for statements it has seen (tauro_gen/format.py says why that is exact), so
these tests format many jobs in one formatter, as a build does, and compare every one with
black. `bench/check_format.py` does the same on a far larger corpus."""

from __future__ import annotations

import ast
import importlib.metadata
import random
import re
import sys
from pathlib import Path

import black
import pytest
from golden_projects import golden_projects
from harness import REPO

from tauro_gen import format as fmt
from tauro_gen import jobcode
from tauro_gen.generate import load_and_validate
from tauro_gen.plan import job_path, plan_job
from tauro_gen.render import render_job

sys.path.insert(0, str(REPO / "bench"))
from check_format import random_source  # noqa: E402
from make_project import write_hostile_project, write_project  # noqa: E402


def rendered_parts(root: Path) -> list[tuple[str, tuple]]:
    """(pipeline, rendered pieces not yet formatted) of every pipeline of a project."""
    project, report = load_and_validate(root, "base")
    assert project is not None, [d.render() for d in report.errors]
    return [
        (name, render_job(plan_job(project, name, job_path(name, "base"))))
        for name in sorted(project.pipelines)
    ]


def rendered_jobs(root: Path) -> list[tuple[str, str]]:
    """(pipeline, rendered text not yet formatted) of every pipeline of a project."""
    return [(name, "".join(p.text for p in pieces)) for name, pieces in rendered_parts(root)]


def black_whole(text: str) -> str:
    return black.format_str(text, mode=black.Mode())


@pytest.fixture(scope="module")
def golden_jobs() -> list[tuple[str, str]]:
    return [
        (f"{project}/{name}", text)
        for project, root in golden_projects().items()
        for name, text in rendered_jobs(root)
    ]


def test_every_golden_job_formats_as_black_does(golden_jobs):
    formatter = fmt._ChunkFormatter()
    for name, text in golden_jobs:
        assert formatter.format([fmt.Part(text)]) == black_whole(text), name
    assert formatter.whole_files == 0  # every one was formatted in chunks
    # At most two calls to black per job: the chunks black likely leaves as they are, and
    # the others (`_by_stability`).
    assert len(golden_jobs) <= formatter.calls <= 2 * len(golden_jobs)


def test_the_parse_tree_of_the_whole_job_cuts_it_as_parsing_each_part_does(golden_jobs):
    """build's safety net parses each job; the formatter reuses that tree."""
    for name, text in golden_jobs:
        parts = [fmt.Part(text)]
        assert fmt._chunks(parts, ast.parse(text)) == fmt._chunks(parts), name
    for project, root in golden_projects().items():
        for name, pieces in rendered_parts(root):
            parts = [fmt.Part(*piece) for piece in pieces]
            tree = ast.parse("".join(part.text for part in parts))
            assert fmt._chunks(parts, tree) == fmt._chunks(parts), f"{project}/{name}"


def test_a_statement_across_two_parts_is_formatted_whole_as_black_does():
    header = '"""Job."""\n\nfrom __future__ import annotations\n\n'
    parts = [fmt.Part(header + "VALUES = [\n"), fmt.Part("    1,\n]\n")]
    text = "".join(part.text for part in parts)
    formatter = fmt._ChunkFormatter()
    assert formatter.format(parts, ast.parse(text)) == black_whole(text)
    assert formatter.whole_files == 1


@pytest.mark.parametrize(
    ("code", "rewritten"),
    [
        (
            "def f():\n    return g(aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbb, ccccccccccccccccccccccccc, ddddddddd)\n",
            True,
        ),
        (
            'def f():\n    return (\n        spark.read.format("x")\n        .load(path)\n    )\n',
            True,
        ),
        (
            'def f():\n    return (\n        spark.read.format("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")\n        .schema(SCHEMA_OF_THE_INPUT)\n        .load(path_of_the_input)\n    )\n',
            False,
        ),
        (
            "def f():\n    # a comment line longer than black's limit, which black leaves as it is, however long ......\n    return 1\n",
            False,
        ),
        (
            'def f():\n    """A docstring line longer than black\'s limit, which black leaves as it is, however long ......\n\n    And more."""\n',
            False,
        ),
    ],
)
def test_chunks_black_would_likely_rewrite_are_told_apart(code, rewritten):
    """Only a matter of speed (one call to black each for the two kinds); the bytes are
    black's either way."""
    assert max(len(line) for line in code.split("\n")) > 88 or "(\n" in code
    assert fmt._may_be_rewritten(code) is rewritten
    text = '"""Job."""\n\nfrom __future__ import annotations\n\n\n' + code
    assert fmt._ChunkFormatter().format([fmt.Part(text)]) == black_whole(text)
    assert (black_whole(text) != text) is rewritten


def test_generated_jobs_format_as_black_does(tmp_path, monkeypatch):
    """Every source and sink kind with awkward names and strings, and a synthetic project
    whose pipelines share node modules and have names of many lengths."""
    hostile = rendered_jobs(write_hostile_project(tmp_path / "hostile"))
    synthetic = rendered_jobs(write_project(tmp_path / "synthetic", 40))
    expected = {text: black_whole(text) for _, text in hostile + synthetic}
    formatter = fmt._ChunkFormatter()
    for name, text in hostile:
        assert formatter.format([fmt.Part(text)]) == expected[text], name
    assert formatter.whole_files == 0
    calls = record_black_calls(monkeypatch)
    formatter = fmt._ChunkFormatter()
    for name, text in synthetic:
        assert formatter.format([fmt.Part(text)]) == expected[text], name
    assert formatter.whole_files == 0
    # Node code shared by pipelines, and the scaffolding, went through black once.
    assert len(synthetic) <= len(calls) <= 2 * len(synthetic)
    assert sum("def in_eur(" in call for call in calls) == 1
    assert sum("def run_until_stopped(" in call for call in calls) == 1


def record_black_calls(monkeypatch) -> list[str]:
    """The texts black.format_str is called with from now on."""
    calls: list[str] = []
    real = black.format_str

    def recording(text: str, *, mode: black.Mode) -> str:
        calls.append(text)
        return real(text, mode=mode)

    monkeypatch.setattr(black, "format_str", recording)
    return calls


def test_what_was_formatted_once_is_not_formatted_again(golden_jobs):
    formatter = fmt._ChunkFormatter()
    first = [formatter.format([fmt.Part(text)]) for _, text in golden_jobs]
    calls = formatter.calls
    assert [formatter.format([fmt.Part(text)]) for _, text in golden_jobs] == first
    assert formatter.calls == calls


def test_node_code_that_narrows_the_target_versions_narrows_the_whole_file():
    """A `match` statement (Python 3.10+) in one function makes black wrap a long `with` of
    another function in parentheses (3.9+); alone, black cannot."""
    header = '"""Job."""\n\nfrom __future__ import annotations\n\nPIPELINE = "p"\n'
    with_statement = (
        "\n\ndef copy(source, target):\n"
        "    with open(source) as first_handle_with_a_long_name, open(target) as second_handle_here:\n"
        "        second_handle_here.write(first_handle_with_a_long_name.read())\n"
    )
    match_statement = (
        "\n\ndef kind(value):\n    match value:\n        case 1:\n            return 'one'\n"
    )
    formatter = fmt._ChunkFormatter()
    alone = formatter.format([fmt.Part(header + with_statement)])
    assert alone == black_whole(header + with_statement)
    assert "    with (\n" not in alone
    for text in (header + with_statement + match_statement, header + match_statement):
        narrowed = formatter.format([fmt.Part(text)])
        assert narrowed == black_whole(text)
    assert "    with (\n" in formatter.format([fmt.Part(header + with_statement + match_statement)])
    assert formatter.whole_files == 0


def test_a_formatted_part_is_copied_as_it_is(monkeypatch):
    """The runtime pieces, stored black-formatted, go into a job without black: the job's
    text is what black makes of the parts joined."""
    cases = [
        (f"{project}/{name}", pieces)  # pipelines of two projects may share a name
        for project, root in golden_projects().items()
        for name, pieces in rendered_parts(root)
        if any(p.formatted for p in pieces)
    ]
    assert len(cases) >= 10
    expected = {name: black_whole("".join(p.text for p in pieces)) for name, pieces in cases}
    assert len(expected) == len(cases)
    calls = record_black_calls(monkeypatch)
    formatter = fmt._ChunkFormatter()
    for name, pieces in cases:
        assert formatter.format([fmt.Part(*p) for p in pieces]) == expected[name], name
    assert not any("# --- tauro-gen runtime from" in call for call in calls)
    assert formatter.whole_files == 0


def test_random_files_format_as_black_does():
    """Files of the statements black treats differently around blank lines, in random
    order with random blank lines between them (bench/check_format.py)."""
    rng = random.Random(7)
    formatter = fmt._ChunkFormatter()
    for _ in range(400):
        text = random_source(rng)
        assert formatter.format([fmt.Part(text)]) == black_whole(text), text
    assert formatter.whole_files < 60  # only files ending in a comment are formatted whole


@pytest.mark.parametrize(
    "text",
    [
        '"""Job."""\n\nfrom __future__ import annotations\n\n\n# fmt: off\nX = [1,\n  2]\n',
        '"""Job."""\n\nfrom __future__ import annotations\n\n\ndef f():\n\treturn 1\n',
        '"""Job."""\r\n\r\nfrom __future__ import annotations\r\n\r\n\r\ndef f():\r\n    return 1\r\n',
        '"""No future import."""\n\n\ndef f(*args, **kwargs):\n    return 1\n',
        '"""Job."""\n\nfrom __future__ import annotations\n\n\ndef f():\n    return 1\n# last\n',
    ],
    ids=["fmt-off", "tab", "crlf", "no-future-import", "trailing-comment"],
)
def test_what_chunks_do_not_reproduce_black_formats_whole(text):
    formatter = fmt._ChunkFormatter()
    assert formatter.format([fmt.Part(text)]) == black_whole(text)
    assert formatter.whole_files == 1


def test_black_is_pinned_to_the_version_the_tests_run():
    """The black version is part of every job's bytes and of its manifest's fingerprint:
    pyproject.toml allows exactly one, the one tested here."""
    (pin,) = re.findall(r'^\s*"(black\b[^"]*)"', (REPO / "pyproject.toml").read_text(), re.M)
    assert re.fullmatch(r"black==[0-9.]+", pin), pin
    assert importlib.metadata.version("black") == pin.split("==")[1]


RUNTIME_MODULES = sorted((REPO / "tauro_gen" / "runtime").glob("*.py"))


@pytest.mark.skipif(not RUNTIME_MODULES, reason="no tauro_gen/runtime/ modules yet")
@pytest.mark.parametrize("path", RUNTIME_MODULES, ids=[p.name for p in RUNTIME_MODULES])
def test_runtime_code_is_stored_black_formatted(path):
    text = path.read_text()
    assert black_whole(text) == text, f"{path.name}: run black with its default settings on it"


def test_formatted_parts_join_wherever_black_would_start_a_block(golden_jobs):
    """A formatted part between two parts to format, with the blank lines on either side of
    it in one part or the other; and one that does not start where black starts a block."""
    name, text = golden_jobs[0]
    whole = black_whole(text)
    at = whole.index("\n\n\ndef build_spark_session(")
    end = whole.index("\n\n\n", at + 3)
    middle = whole[at + 3 : end + 1]
    head, tail = text[: text.index("\n\n\ndef build_spark_session(")], whole[end + 1 :]
    formatter = fmt._ChunkFormatter()
    for parts in (
        [(head + "\n\n\n", False), (middle, True), (tail, False)],
        [(head + "\n", False), ("\n\n" + middle + "\n\n", True), (tail.lstrip("\n"), False)],
    ):
        joined = "".join(t for t, _ in parts)
        assert formatter.format([fmt.Part(*p) for p in parts]) == black_whole(joined), name
    assert formatter.whole_files == 0
    glued = [(head + "\n", False), (middle, True), (tail, False)]  # no blank line before it
    assert formatter.format([fmt.Part(*p) for p in glued]) == black_whole(
        head + "\n" + middle + tail
    )
    assert formatter.whole_files == 1


def test_the_import_layout_uses_blacks_line_length():
    assert jobcode.BLACK_LINE_LENGTH == fmt.MODE.line_length
