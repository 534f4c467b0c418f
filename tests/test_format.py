"""`format_source` must give exactly `black.format_str`'s bytes: users run `black --check` on
what we write. The chunked formatter reuses black's work across statements and files (by
exact text, by shape, and by splitting a shape's lines with other widths in their leaves), so
these tests format families of sources that share shapes but not widths, in one formatter,
and compare every result with black. `bench/check_format.py` does the same on a far larger
corpus (run it after changing format.py or upgrading black)."""

from __future__ import annotations

import random
import re
import sys
import sysconfig
from pathlib import Path

import black
import pytest
from harness import REPO

from tauro_gen import format as fmt

sys.path.insert(0, str(REPO / "bench"))
from make_project import write_project  # noqa: E402

from tauro_gen.generate import load_and_validate  # noqa: E402
from tauro_gen.plan import job_path, plan_job  # noqa: E402
from tauro_gen.render import render_job  # noqa: E402

# Each family is formatted with names of every length from 1 to 60 characters, so the
# same shapes come back with widths on both sides of black's 88 columns.
FAMILIES = {
    # black's "second opinion": wrap the right-hand side in parentheses rather than split
    # the call (the split replaces the line's leaves in the tree with copies)
    "assignment": "def run(spark):\n    {n}_dims = read_{n}_dims(spark)\n    {n}_in = read_{n}_in(spark, {n}_dims)\n",
    "chain": 'def read(spark):\n    return spark.readStream.format("csv").option("path", "{n}").schema({N}_SCHEMA).load("{n}/in")\n',
    "call_args": "x = {n}(alpha, beta, {n}_gamma, delta=[1, 2, 3], epsilon={{'k': {n}}})\n",
    "magic_comma": "result = {n}(\n    first,\n)\nother = [{n}, {n}_b,]\n",
    "def_header": "def {n}(spark: SparkSession, stop: StopRequest, available_now: bool, extra_{n}: int = 1) -> int:\n    return 1\n",
    "docstring": 'def f():\n    """Input \'{n}\': stream of csv files in data/{n}/in/, a long first line of text."""\n    return 1\n',
    "multiline_docstring": 'def f():\n    """Summary.\n\n    Details about {n} that run on for a while {n}."""\n    return 1\n',
    "module_docstring": '"""Streaming job for pipeline \'{n}\' (env: base).\n\nRun:\n    spark-submit build/{n}.py\n"""\n\nimport os\n',
    "comment_in_brackets": "values = [\n    {n},  # the first one\n    {n}_second,\n]\n",
    "return_tuple": "def f():\n    return {n}_left, {n}_right, call({n})\n",
    "subscript": 'x = table[{n}_key][{n}]["column_{n}"] + other_{n}[index_{n}]\n',
    "decorated": "@decorator({n})\ndef f():\n    pass\n\n\n@other\nclass {N}:\n    x = {n}\n",
}


def _name(length: int) -> str:
    return ("spark_job_name_" * 5)[:length].rstrip("_") or "x"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_family_of_widths_formats_as_black_does(family):
    formatter = fmt._ChunkFormatter()
    for length in range(1, 61):
        name = _name(length)
        source = FAMILIES[family].replace("{n}", name).replace("{N}", name.upper())
        source = source.replace("{{", "{").replace("}}", "}")
        assert formatter.format(source) == black.format_str(source, mode=fmt.MODE), (
            family,
            length,
        )


def _rendered_jobs(root: Path) -> list[str]:
    project, report = load_and_validate(root, "base")
    assert project is not None, [d.render() for d in report.errors]
    return [
        render_job(plan_job(project, name, job_path(name, "base")))
        for name in sorted(project.pipelines)
    ]


def test_generated_jobs_format_as_black_does(tmp_path):
    """Jobs of a synthetic project: every pipeline kind, names of many lengths."""
    formatter = fmt._ChunkFormatter()
    for source in _rendered_jobs(write_project(tmp_path / "p", 60)):
        assert formatter.format(source) == black.format_str(source, mode=fmt.MODE)
    assert formatter.stats["substituted"] > 0  # the line-split path was exercised


def _site_files(count: int) -> list[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob("*.py") if 500 < p.stat().st_size < 12_000)
    random.Random(11).shuffle(files)
    texts = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            compile(text, str(path), "exec")
            black.format_str(text, mode=fmt.MODE)
        except Exception:  # noqa: BLE001 — not Python black formats: not a test case
            continue
        texts.append(text)
        if len(texts) == count:
            return texts
    return texts


def test_real_world_code_formats_as_black_does():
    """Third-party code (what users' node code looks like), as it is and with its local names
    lengthened, so cached shapes meet other widths."""
    formatter = fmt._ChunkFormatter()
    for text in _site_files(40):
        longer = re.sub(r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\b", r"\1_xyz", text)
        for source in (text, longer):
            assert formatter.format(source) == black.format_str(source, mode=fmt.MODE)


def test_the_second_pass_gets_the_chunks_split_would_cut():
    """The first pass hands its output to the second already cut into statements; the cut
    must be the one `_split` makes of that output, blank lines and comments included."""
    formatter = fmt._ChunkFormatter()
    sources = [*_site_files(40), *_rendered_jobs(REPO)]
    for source in sources:
        if fmt._unsupported(source):
            continue
        try:
            once, printed = formatter._format_once(fmt._split(source))
        except fmt._Fallback:
            continue
        assert printed == fmt._split(once)
