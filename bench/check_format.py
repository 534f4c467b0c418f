"""Check that tauro_gen.format.format_source gives exactly black.format_str's bytes.

The chunked formatter reuses black's work across statements and files; this compares both on
a corpus: every job of the golden projects and of a generated N-pipeline project (rendered,
not yet formatted), plus a sample of real-world Python files from site-packages (pyspark,
pandas, black itself...), each also with its names lengthened, so that cached shapes are
reused across files as in a big build.

    .venv/bin/python bench/check_format.py [--files 600] [--pipelines 500]

Exit 1 and a diff when any output differs.
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

from make_project import write_project  # noqa: E402

from tauro_gen import format as fmt  # noqa: E402
from tauro_gen.generate import load_and_validate  # noqa: E402
from tauro_gen.plan import job_path, plan_job  # noqa: E402
from tauro_gen.render import render_job  # noqa: E402


def rendered_jobs(root: Path) -> list[tuple[str, str]]:
    project, report = load_and_validate(root, "base")
    assert project is not None, [d.render() for d in report.errors]
    return [
        (f"{root.name}/{name}", render_job(plan_job(project, name, job_path(name, "base"))))
        for name in sorted(project.pipelines)
    ]


def site_files(count: int, seed: int = 7) -> list[tuple[str, str]]:
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
        out.append((str(path.relative_to(site)), text))
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
    args = parser.parse_args()

    corpus: list[tuple[str, str]] = []
    for root in [REPO, *sorted((REPO / "tests" / "projects").iterdir())]:
        if (root / "config").is_dir():
            corpus += rendered_jobs(root)
    with tempfile.TemporaryDirectory() as tmp:
        corpus += rendered_jobs(write_project(Path(tmp) / "p", args.pipelines))
    for name, text in site_files(args.files):
        corpus.append((name, text))
        corpus.append((name + " (lengthened)", lengthened(text)))

    mismatches = errors = 0
    fast_time = black_time = 0.0
    for name, text in corpus:
        try:
            start = time.perf_counter()
            expected = black.format_str(text, mode=fmt.MODE)
            black_time += time.perf_counter() - start
        except Exception:  # noqa: BLE001 — black refuses it: nothing to compare
            errors += 1
            continue
        start = time.perf_counter()
        got = fmt.format_source(text)
        fast_time += time.perf_counter() - start
        if got != expected:
            mismatches += 1
            if mismatches <= 5:
                print(f"MISMATCH {name}")
                diff = difflib.unified_diff(
                    expected.splitlines(True), got.splitlines(True), "black", "format_source"
                )
                sys.stdout.writelines(list(diff)[:60])
    print(
        f"{len(corpus)} sources, {mismatches} mismatches, {errors} refused by black; "
        f"black {black_time:.1f} s, format_source {fast_time:.1f} s; "
        f"chunks: {fmt._FORMATTER.stats}"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
