"""Check that tauro_gen.format.format_job gives exactly black.format_str's bytes.

The formatter cuts a job into top-level statements and reuses black's output for statements
it has seen; this compares it with black on whole files, in one formatter (as a build runs):

- every job of the golden projects, of the awkward-names project and of a generated
  N-pipeline project (rendered, not yet formatted);
- random files made of the top-level statements black treats differently around blank lines
  (`random_source`, also used by tests/test_format.py);
- real-world code: site-packages modules (pyspark, pandas, black itself...) as node code of a
  job (after a module docstring and `from __future__ import annotations`), as they are and
  with their names lengthened.

    .venv/bin/python bench/check_format.py [--files 600] [--pipelines 500] [--random 2000]

Exit 1, with a diff, when any output differs.
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import black

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from make_project import write_hostile_project, write_project  # noqa: E402

from tauro_gen import format as fmt  # noqa: E402
from tauro_gen.generate import load_and_validate  # noqa: E402
from tauro_gen.plan import job_path, plan_job  # noqa: E402
from tauro_gen.render import render_job  # noqa: E402

# Top-level statements of every kind black treats differently around blank lines: imports,
# comments, decorators, stub overloads, classes with only a docstring, defs inside an `if`, a
# string holding code at column 0, semicolons, backslashes; and two that narrow black's
# target versions (which changes how the long `with` and the `except` tuple come out).
STATEMENTS = [
    "import os",
    "from pyspark.sql import (\n    DataFrame,\n    SparkSession)",
    "X = 1",
    "LONG_CONSTANT_NAME = some_function(argument_one, argument_two, argument_three, arg_four)",
    "def f(a, b):\n    return a",
    'def documented():\n    """Docstring."""\n    return 1',
    "def stub(): ...",
    "@overload\ndef over(x: int) -> int: ...",
    "@overload\ndef over(x: str) -> str: ...",
    'class A:\n    """Only a docstring."""',
    "class B(Base):\n    x = 1\n    def m(self):\n        pass",
    "class E: pass",
    "# a comment",
    "# two comments\n# in a row",
    "if X:\n    def k():\n        pass\nelse:\n    k = None",
    "try:\n    import json\nexcept ImportError:\n    json = None",
    "with open(p) as f:\n    data = f.read()",
    "async def co():\n    await x",
    'S = """\n\n\ndef fake():\n    pass\n# not a comment\n@not_a_decorator\n"""',
    "x = 1; y = 2",
    "@dataclass(frozen=True)\nclass C:\n    a: int\n    b: str = 'x'",
    "total = 1 + \\\n    2",
    "del a, b",
    "for i in range(3):\n    pass",
    "def t():\n    return 1\n    # trailing comment in the body",
    "def nested():\n    def inner():\n        pass\n    return inner",
    "values = [\n    1,\n    2,\n]",
    "def long_signature(argument_number_one, argument_number_two, argument_three, four=4):\n    pass",
    "'''A string statement.'''",
    "if __name__ == '__main__':\n    main()",
    "def g():\n    with aaaaaaaaaaaaaaaaaaaaaaaa as bbbbbbbbbbbbbbbbbbbbb, cccccccccccccccccccccccc as dddd:\n"
    "        pass",
    "def h():\n    try:\n        pass\n    except (ValueError, TypeError):\n        pass",
    "class D:\n\n    x = 1\n\n\n\n    y = 2",
    "@decorator\n# a comment between decorator and def\ndef decorated():\n    pass",
]
NARROWING = [
    "def m(v):\n    match v:\n        case 1:\n            pass",
    "def star():\n    try:\n        pass\n    except* ValueError:\n        pass",
]


def random_source(rng: random.Random) -> str:
    """A job-like file: a docstring, the future import, 1–12 statements, 0–3 blank lines
    between them; one in five may use syntax that narrows black's target versions."""
    pool = STATEMENTS + (NARROWING if rng.random() < 0.2 else [])
    pieces = ['"""Module."""\n', "\n" * rng.randint(0, 2), "from __future__ import annotations\n"]
    for _ in range(rng.randint(1, 12)):
        pieces += ["\n" * rng.randint(0, 3), rng.choice(pool), "\n"]
    return "".join(pieces)


def rendered_jobs(root: Path) -> list[tuple[str, str]]:
    project, report = load_and_validate(root, "base")
    assert project is not None, [d.render() for d in report.errors]
    return [
        (
            f"{root.name}/{name}",
            "".join(p.text for p in render_job(plan_job(project, name, job_path(name, "base")))),
        )
        for name in sorted(project.pipelines)
    ]


def site_files(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """Modules of site-packages as node code of a job."""
    site = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in site.rglob("*.py") if 200 < p.stat().st_size < 40_000)
    random.Random(seed).shuffle(files)
    out = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            compile(text, str(path), "exec")
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        text = re.sub(r"(?m)^from __future__ import .*\n", "", text)
        header = '"""Job."""\n\nfrom __future__ import annotations\n\n\n'
        out.append((str(path.relative_to(site)), header + text))
        if len(out) >= count:
            break
    return out


def lengthened(text: str) -> str:
    """Same code with every local-looking name made longer: other widths, same shapes."""
    return re.sub(r"\b([a-z][a-z0-9]*_[a-z0-9_]+)\b", r"\1_xyz", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600, help="site-packages files to check")
    parser.add_argument("--pipelines", type=int, default=500)
    parser.add_argument("--random", type=int, default=2000, help="random files to check")
    args = parser.parse_args()

    corpus: list[tuple[str, str]] = []
    for root in [REPO, *sorted((REPO / "tests" / "projects").iterdir())]:
        if (root / "config").is_dir():
            corpus += rendered_jobs(root)
    with tempfile.TemporaryDirectory() as tmp:
        corpus += rendered_jobs(write_hostile_project(Path(tmp) / "hostile"))
        corpus += rendered_jobs(write_project(Path(tmp) / "p", args.pipelines))
    rng = random.Random(11)
    corpus += [(f"random {n}", random_source(rng)) for n in range(args.random)]
    for name, text in site_files(args.files):
        corpus.append((name, text))
        corpus.append((name + " (lengthened)", lengthened(text)))

    formatter = fmt._ChunkFormatter()
    mismatches = refused = 0
    ours = black_time = 0.0
    for name, text in corpus:
        try:
            start = time.process_time()
            expected = black.format_str(text, mode=fmt.MODE)
            black_time += time.process_time() - start
        except Exception:  # noqa: BLE001 — black refuses it: nothing to compare
            refused += 1
            continue
        start = time.process_time()
        got = formatter.format([fmt.Part(text)])
        ours += time.process_time() - start
        if got != expected:
            mismatches += 1
            if mismatches <= 5:
                print(f"MISMATCH {name}")
                diff = difflib.unified_diff(
                    expected.splitlines(True), got.splitlines(True), "black", "format_job"
                )
                sys.stdout.writelines(list(diff)[:60])
    compared = len(corpus) - refused
    print(
        f"{compared} sources compared ({refused} refused by black), {mismatches} differ; "
        f"{compared - formatter.whole_files} formatted in chunks, {formatter.whole_files} "
        f"whole; CPU: black {black_time:.1f} s, format_job {ours:.1f} s "
        f"({formatter.calls} calls to black)"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
