"""tauro-gen benchmarks, one command: generated jobs against hand-written PySpark, the settings
a generator could bake in, the generator's own speed, and file-to-output latency. Every
comparison runs its variants interleaved in the same session and reports medians and ratios
(generated / baseline); results go to bench/RESULTS.md with the machine they ran on.

    .venv/bin/python bench/run.py                   # everything, 3 runs each (1-2 hours)
    .venv/bin/python bench/run.py --quick           # 1 run, small data: a smoke test (~8 min)
    .venv/bin/python bench/run.py --only a,c --runs 5

Sections: a) csv -> parquet, 1 M and 10 M rows, availableNow; b) windowed aggregation with a
watermark, generated with candidate settings vs Spark's defaults; c) `tauro-gen build --all`
(cold, no-op, after one node module changed), `check` and `validate` on a generated
500-pipeline project; d) latency from dropping a file to
its rows being committed in the output with a 1-second trigger (p50/p95 over 20 files);
e) what quiet-logging settings remove from a job's output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = Path(sys.executable).parent
DATA = BENCH / ".data"  # generated datasets, reused between runs (gitignored)
WORK = BENCH / ".work"  # one scratch folder per job run (gitignored)
LOG4J = REPO / "scripts" / "log4j2.properties"
RESULTS = BENCH / "RESULTS.md"

BATCH_LINE = re.compile(r"batch (\d+): (\d+) rows in, (\S+) rows out, (\d+) ms")


# -- the machine ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    def run(*cmd: str) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
            return (out.stdout + out.stderr).strip()
        except OSError:
            return "?"

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in run("lscpu").splitlines()
            if "Model name" in line
        ),
        platform.processor() or "?",
    )
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    import black
    import pyspark

    return {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "java": run("java", "-version").splitlines()[0],
        "pyspark": pyspark.__version__,
        "black": black.__version__,
        "tauro-gen commit": run("git", "-C", str(REPO), "rev-parse", "--short", "HEAD"),
        "load average at start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


# -- datasets ---------------------------------------------------------------------------------


def sales_data(rows: int, files: int = 8) -> Path:
    """CSV like the tutorial's (id, date, amount); one row in ten is a refund (amount < 0)."""
    folder = DATA / f"sales-{rows}-{files}files"
    if (folder / "_done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=d)).isoformat() for d in range(366)]
    per_file = rows // files
    for f in range(files):
        start = f * per_file
        with open(folder / f"part-{f:03d}.csv", "w") as out:
            out.write("id,date,amount\n")
            out.writelines(
                f"{i},{days[i % 366]},{'-' if i % 10 == 0 else ''}{(i * 37) % 10000 / 100:.2f}\n"
                for i in range(start, start + per_file)
            )
    (folder / "_done").write_text("")
    return folder


def events_data(name: str, minutes: int, keys: int, rows_per_minute: int) -> Path:
    """One CSV file per minute of event time (event_time, key, amount), a little out of
    order: a stream where each micro-batch (maxFilesPerTrigger: 1) moves the watermark on and
    closes the windows it passed."""
    folder = DATA / f"events-{name}-{minutes}x{rows_per_minute}-{keys}keys"
    if (folder / "_done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    start = dt.datetime(2024, 1, 1, 12, 0)
    rng = random.Random(minutes * keys)
    for m in range(minutes):
        with open(folder / f"minute-{m:03d}.csv", "w") as out:
            out.write("event_time,key,amount\n")
            for i in range(rows_per_minute):
                second = rng.randrange(60) - (5 if i % 50 == 0 else 0)  # some late events
                t = start + dt.timedelta(minutes=m, seconds=second)
                out.write(f"{t:%Y-%m-%d %H:%M:%S},k{i % keys},{(i * 13) % 1000 / 10:.1f}\n")
    (folder / "_done").write_text("")
    return folder


# -- running one job --------------------------------------------------------------------------


def spark_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    env["PYSPARK_PYTHON"] = sys.executable
    env["PYSPARK_DRIVER_PYTHON"] = sys.executable
    return env


def submit(script: Path, *args: str, quiet: bool = True, java: str = "") -> list[str]:
    """Identical spark-submit options for every variant: local[2] (the machine's cores), no
    UI; with quiet=True Spark's INFO log is dropped by a log4j2 file (as in tests); `java`:
    more driver JVM options (section f)."""
    cmd = [str(VENV_BIN / "spark-submit"), "--master", "local[2]"]
    options = " ".join(
        filter(None, [f"-Dlog4j2.configurationFile=file:{LOG4J}" if quiet else "", java])
    )
    if options:
        cmd += ["--driver-java-options", options]
    cmd += ["--conf", "spark.ui.enabled=false", str(script), *args]
    return cmd


@dataclass
class Run:
    variant: str
    wall: float  # seconds, spark-submit start to exit
    processing: float  # seconds, the sum of the micro-batches' durations
    batches: int
    rows_out: int  # rows committed in the output (read from the sink's commit log)
    max_rss_mb: float  # peak resident memory of the driver JVM (local mode: the executor too)
    checkpoint_files: int
    checkpoint_mb: float
    log: str = field(repr=False, default="")


def workdir(name: str, inputs: Path | None) -> Path:
    """A fresh folder with data/input/ holding the dataset (hard links: no copy)."""
    folder = WORK / f"{name}-{uuid.uuid4().hex[:6]}"
    (folder / "data" / "input").mkdir(parents=True)
    if inputs is not None:
        for f in sorted(inputs.glob("*.csv")):
            os.link(f, folder / "data" / "input" / f.name)
    return folder


def committed_files(output: Path) -> list[Path]:
    """Files in the file sink's commit log (_spark_metadata), as Spark itself would read."""
    meta = output / "_spark_metadata"
    if not meta.is_dir():
        return []
    latest_compact = -1
    entries = {}
    for f in meta.iterdir():
        m = re.fullmatch(r"(\d+)(\.compact)?", f.name)
        if m:
            entries[int(m.group(1))] = f
            if m.group(2):
                latest_compact = max(latest_compact, int(m.group(1)))
    paths = []
    for batch in sorted(b for b in entries if b >= latest_compact):
        for line in entries[batch].read_text().splitlines()[1:]:
            record = json.loads(line)
            if record.get("action", "add") == "add":
                paths.append(Path(record["path"].removeprefix("file:")))
    return paths


def count_rows(output: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in committed_files(output))


def folder_size(folder: Path) -> tuple[int, float]:
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return len(files), sum(p.stat().st_size for p in files) / 1e6


def run_job(
    variant: str, script: Path, folder: Path, *args: str, keep: bool = False, java: str = ""
) -> Run:
    cmd = ["/usr/bin/time", "-f", "__rss_kb__ %M"] + submit(script, *args, java=java)
    started = time.monotonic()
    result = subprocess.run(
        cmd,
        cwd=folder,
        env=spark_env(),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    wall = time.monotonic() - started
    log = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"{variant} failed ({result.returncode}) in {folder}:\n{log[-4000:]}")
    batches = BATCH_LINE.findall(log)
    rss = re.search(r"__rss_kb__ (\d+)", log)
    files, mb = folder_size(folder / "checkpoints")
    run = Run(
        variant=variant,
        wall=wall,
        processing=sum(int(b[3]) for b in batches) / 1000,
        batches=len(batches),
        rows_out=count_rows(folder / "data" / "output"),
        max_rss_mb=int(rss.group(1)) / 1024 if rss else 0.0,
        checkpoint_files=files,
        checkpoint_mb=mb,
        log=log,
    )
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return run


def generated(project: Path, env: str = "base") -> Path:
    """Build the project's job into a scratch copy of the project; return the job file."""
    target = WORK / f"build-{project.name}-{env}"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(project, target, ignore=shutil.ignore_patterns("build", "data", "checkpoints"))
    result = subprocess.run(
        [
            str(VENV_BIN / "tauro-gen"),
            "build",
            "--all",
            "--env",
            env,
            "--project",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"build of {project} ({env}) failed:\n{result.stderr}")
    jobs = sorted((target / "build").rglob("*.py"))
    return jobs[0]


def in_folder(script: Path, folder: Path) -> Path:
    copy = folder / script.name
    shutil.copy(script, copy)
    return copy


# -- statistics and tables --------------------------------------------------------------------


def median(values) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def compare(runs: list[Run], baseline: str, metric: str) -> dict[str, tuple[float, float]]:
    """{variant: (median metric, ratio of medians to the baseline's)}."""
    by_variant: dict[str, list[float]] = {}
    for r in runs:
        by_variant.setdefault(r.variant, []).append(getattr(r, metric))
    base = median(by_variant[baseline])
    return {
        v: (median(xs), median(xs) / base if base else float("nan")) for v, xs in by_variant.items()
    }


def interleaved(variants: list[tuple[str, callable]], runs: int) -> list[Run]:
    """Each round runs every variant once, in a rotating order, so that noise from other
    work on the machine spreads over all of them."""
    results = []
    for i in range(runs):
        order = variants[i % len(variants) :] + variants[: i % len(variants)]
        for name, start in order:
            run = start()
            print(
                f"    {name:<34} wall {run.wall:6.1f} s  processing {run.processing:6.1f} s  "
                f"batches {run.batches:3d}  rows {run.rows_out}  rss {run.max_rss_mb:.0f} MB",
                flush=True,
            )
            results.append(run)
    return results


def table(headers: list[str], rows: list[list]) -> str:
    def cell(x) -> str:
        if isinstance(x, float):
            return f"{x:.2f}" if x == x else "—"  # NaN: a phase this variant does not have
        return str(x)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def runs_table(runs: list[Run], baseline: str, extra: tuple[str, ...] = ()) -> str:
    wall = compare(runs, baseline, "wall")
    proc = compare(runs, baseline, "processing")
    others = {m: compare(runs, baseline, m) for m in extra}
    headers = [
        "variant",
        "runs",
        "wall s (median)",
        "wall ratio",
        "processing s",
        "processing ratio",
    ]
    headers += [f"{m} (median)" for m in extra] + ["rows out"]
    rows = []
    for variant in wall:
        mine = [r for r in runs if r.variant == variant]
        rows.append(
            [
                variant,
                len(mine),
                wall[variant][0],
                wall[variant][1],
                proc[variant][0],
                proc[variant][1],
            ]
            + [others[m][variant][0] for m in extra]
            + [
                (
                    sorted({r.rows_out for r in mine})[0]
                    if len({r.rows_out for r in mine}) == 1
                    else "/".join(str(x) for x in sorted({r.rows_out for r in mine}))
                )
            ]
        )
    return table(headers, rows)


# -- a) csv -> parquet ------------------------------------------------------------------------


def bench_a(runs: int, sizes: list[int]) -> str:
    print("a) csv -> parquet, availableNow", flush=True)
    job = generated(BENCH / "projects" / "sales")
    tutorial = generated_tutorial()
    baseline = BENCH / "baselines" / "csv_to_parquet.py"
    unobserved = without_observe(job)
    out = [
        "## a) csv → parquet, availableNow: generated vs hand-written\n",
        "Same logic (the tutorial's `process_sales`), same spark-submit options (local[2], log4j2 "
        "file, no UI). *wall*: spark-submit start to exit (includes ~10 s of JVM and session "
        "start-up); *processing*: the sum of the micro-batch durations Spark reports. Ratio: "
        "median / the hand-written job's median. Each round runs all variants in rotating order.\n",
    ]
    for rows in sizes:
        data = sales_data(rows)
        print(f"  {rows:,} rows", flush=True)
        variants = [
            _variant("hand-written", baseline, data),
            _variant("generated (declared schema)", job, data),
            _variant(
                "generated, tutorial as written (schema inferred at first start)",
                tutorial,
                data,
            ),
            _variant("generated, observe() removed (diagnostic)", unobserved, data),
        ]
        results = interleaved(variants, runs)
        out.append(f"\n### {rows:,} rows ({len(list(data.glob('*.csv')))} CSV files)\n")
        out.append(runs_table(results, "hand-written", extra=("max_rss_mb",)))
        out.append("")
    return "\n".join(out)


def without_observe(job: Path) -> Path:
    """Diagnostic: the generated job without its per-batch row count (df.observe(...)), to
    see what that costs."""
    return _diagnostic(
        job,
        "_unobserved",
        r"df\.observe\([^\n]*\)\n\s*\.writeStream",
        "df.writeStream",
        "the generated writer no longer starts with df.observe(...)",
    )


def without_polling(job: Path) -> Path:
    """Diagnostic: the generated job whose main loop does not wake up every second to
    report progress (it waits for the queries to end; no progress lines), to see what the
    polling costs a running query."""
    return _diagnostic(
        job,
        "_unpolled",
        r"spark\.streams\.awaitAnyTermination\(1\)",
        "spark.streams.awaitAnyTermination()",
        "the generated main loop no longer polls with awaitAnyTermination(1)",
    )


def _diagnostic(job: Path, suffix: str, pattern: str, replacement: str, missing: str) -> Path:
    variant = job.with_name(job.stem + suffix + ".py")
    text, count = re.subn(pattern, replacement, job.read_text())
    assert count == 1, missing
    variant.write_text(text)
    return variant


def generated_tutorial() -> Path:
    """The repository's tutorial project exactly as written (no declared schema)."""
    target = WORK / "build-tutorial"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for part in ("config", "src"):
        shutil.copytree(REPO / part, target / part)
    subprocess.run(
        [str(VENV_BIN / "tauro-gen"), "build", "--all", "--project", str(target)],
        capture_output=True,
        check=True,
    )
    return target / "build" / "real_time_sales.py"


def _variant(label: str, script: Path, data: Path, section: str = "a", java: str = ""):
    return label, lambda: run_job(label, *_job(script, data, section), "--available-now", java=java)


def _job(script: Path, data: Path | None, name: str) -> tuple[Path, Path]:
    folder = workdir(name, data)
    return in_folder(script, folder), folder


# -- b) windowed aggregation ------------------------------------------------------------------

SETTINGS = {
    "base": "generated (tauro-gen's defaults)",
    "spark_defaults": "generated, defaults off (200 partitions, INT96)",
    "int96": "generated, defaults but INT96 timestamps",
    "rocksdb": "generated + RocksDB state store",
}
HAND_WRITTEN = "hand-written, Spark defaults"


def bench_b(runs: int, quick: bool) -> str:
    print("b) windowed aggregation with watermark", flush=True)
    project = BENCH / "projects" / "windowed"
    baseline = BENCH / "baselines" / "windowed.py"
    jobs = {env: generated(project, env) for env in SETTINGS}
    small = events_data("small", minutes=6 if quick else 10, keys=500, rows_per_minute=20_000)
    large = events_data("large", minutes=4, keys=200_000, rows_per_minute=200_000)
    out = [
        "## b) Windowed aggregation with a watermark: tauro-gen's defaults vs Spark's\n",
        "1-minute windows per key, 1-minute watermark, append to parquet; one input file per "
        "micro-batch (maxFilesPerTrigger 1), availableNow. The hand-written job uses Spark's "
        "defaults (200 shuffle partitions, HDFS-backed state store, INT96 timestamps). The "
        "generated job runs with tauro-gen's defaults (shuffle partitions sized to the cores, "
        "here local[2] → 2; TIMESTAMP_MICROS), with them turned off through `spark_conf`, and "
        "with candidate settings on top (bench/projects/windowed/config/<variant>/"
        "pipelines.yaml). *checkpoint files*: files under checkpoints/ after the run.\n",
    ]

    def variant(env: str | None, data: Path):
        label = HAND_WRITTEN if env is None else SETTINGS[env]
        script = baseline if env is None else jobs[env]
        return label, lambda: run_job(label, *_job(script, data, "b"), "--available-now")

    small_variants = [
        variant(None, small),
        *(variant(env, small) for env in ("spark_defaults", "base", "int96", "rocksdb")),
    ]
    print("  small state", flush=True)
    results = interleaved(small_variants, runs)
    minutes = len(list(small.glob("*.csv")))
    out.append(f"\n### Small state: 500 keys, {minutes} files × 20,000 events\n")
    out.append(runs_table(results, HAND_WRITTEN, extra=("checkpoint_files", "max_rss_mb")))

    large_variants = [
        variant(None, large),
        *(variant(env, large) for env in ("spark_defaults", "base", "rocksdb")),
    ]
    print("  large state", flush=True)
    results_large = interleaved(large_variants, runs)
    minutes = len(list(large.glob("*.csv")))
    out.append(f"\n### Large state: 200,000 keys, {minutes} files × 200,000 events\n")
    out.append(runs_table(results_large, HAND_WRITTEN, extra=("checkpoint_files", "max_rss_mb")))
    out.append("\n" + timestamp_check(jobs, small))
    return "\n".join(out)


def timestamp_check(jobs: dict[str, Path], data: Path) -> str:
    """What spark.sql.parquet.outputTimestampType changes for other readers of the output."""
    import pyarrow.parquet as pq

    lines = ["### Parquet timestamps as other tools see them\n"]
    rows = []
    for env, label in (
        ("int96", "Spark's default (INT96)"),
        ("base", "tauro-gen's (TIMESTAMP_MICROS)"),
    ):
        script, folder = _job(jobs[env], data, "ts")
        run_job(label, script, folder, "--available-now", keep=True)
        files = committed_files(folder / "data" / "output")
        meta = pq.ParquetFile(files[0])
        column = meta.schema.column(0)  # window.start
        physical = column.physical_type
        logical = str(column.logical_type)
        arrow = pq.read_table(files[0]).schema.field("window").type
        duck = duckdb_reads(files)
        rows.append([label, physical, logical, str(arrow), duck])
        shutil.rmtree(folder, ignore_errors=True)
    lines.append(
        table(
            [
                "setting",
                "parquet physical type",
                "logical type",
                "pyarrow reads",
                "duckdb",
            ],
            rows,
        )
    )
    return "\n".join(lines)


def duckdb_reads(files: list[Path]) -> str:
    try:
        import duckdb
    except ImportError:
        return "(duckdb not installed)"
    try:
        con = duckdb.connect()
        kind = con.execute(
            f'SELECT typeof("window".start) FROM read_parquet({[str(f) for f in files]!r}) LIMIT 1'
        ).fetchone()[0]
        return kind
    except Exception as exc:  # noqa: BLE001 — what the tool says is the result
        return f"error: {exc}".splitlines()[0][:80]


# -- c) the generator -------------------------------------------------------------------------


def bench_c(runs: int, pipelines: int) -> str:
    print(f"c) tauro-gen on a {pipelines}-pipeline project", flush=True)
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(REPO))
    from make_project import SOLO_MODULE, write_project

    root = write_project(WORK / f"project-{pipelines}", pipelines)
    solo = root / SOLO_MODULE
    cli = str(VENV_BIN / "tauro-gen")
    results: dict[str, list[float]] = {}
    exits: dict[str, set[int]] = {}

    def timed(name: str, *args: str) -> None:
        started = time.monotonic()
        result = subprocess.run(
            [cli, *args, "--project", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - started
        if result.returncode not in (0, 1):
            raise RuntimeError(
                f"tauro-gen {' '.join(args)}: exit {result.returncode}\n{result.stderr[-3000:]}"
            )
        results.setdefault(name, []).append(elapsed)
        exits.setdefault(name, set()).add(result.returncode)
        print(f"    {name:<52} {elapsed:6.2f} s (exit {result.returncode})", flush=True)

    for round_ in range(runs):
        shutil.rmtree(root / "build", ignore_errors=True)
        timed("build --all (empty build/)", "build", "--all")
        timed("build --all (build/ up to date)", "build", "--all")
        timed("check (build/ up to date)", "check")
        # A change to the code the job copies (its node function's docstring), another each
        # round, in the module one pipeline uses.
        edit = f"Valid rows only (edit {round_ + 1})"
        solo.write_text(re.sub(r"Valid rows only( \(edit \d+\))?", edit, solo.read_text()))
        timed("build --all (a node module of one pipeline changed)", "build", "--all")
        timed("validate", "validate")
    stages = stage_times(root)
    out = [
        f"## c) The generator on a {pipelines}-pipeline project\n",
        f"`bench/make_project.py` writes {pipelines} pipelines (a quarter each: csv → parquet, "
        "windowed aggregation, stream-static join, batch report) over 8 shared node modules "
        "and one used by the first pipeline alone, with names of varied lengths. Each command "
        "runs as a user runs it (a subprocess, Python start-up included). A job whose manifest "
        "in build/ records the same plan and generator fingerprint, and whose file still has "
        "the recorded sha256, is read back instead of formatted.\n",
        table(
            ["command", "runs", "median s", "min s", "exit"],
            [
                [k, len(v), median(v), min(v), "/".join(map(str, sorted(exits[k])))]
                for k, v in results.items()
            ],
        ),
        "\nWhere a cold `build --all` spends its time (in-process, one worker, cold caches; CPU "
        "seconds of this process, so other work on the machine does not count):\n",
        table(["stage", "CPU s", "wall s"], [[k, c, w] for k, (c, w) in stages.items()]),
    ]
    ours = stages[FORMAT_STAGE][0]
    black_cpu = next(c for k, (c, _) in stages.items() if k.startswith("black.format_str"))
    out.append(
        f"\nFormatting CPU, format_job / black.format_str on each whole file: "
        f"**{ours / black_cpu:.2f}**, for the same bytes (both through black's public API)."
    )
    return "\n".join(out)


FORMAT_STAGE = "format (tauro_gen.format.format_job, given the safety net's parse trees)"


def stage_times(root: Path) -> dict[str, tuple[float, float]]:
    import black

    from tauro_gen import format as fmt
    from tauro_gen.generate import (
        _fewer_garbage_collections,
        generator_fingerprint,
        load_and_validate,
    )
    from tauro_gen.jobcheck import check_job
    from tauro_gen.manifest import manifest_of, to_json
    from tauro_gen.plan import job_path, plan_job
    from tauro_gen.render import render_job
    from tauro_gen.sourcemap import map_sections

    formatter = fmt._ChunkFormatter()  # cold caches, as in a fresh process
    times: dict[str, tuple[float, float]] = {}

    def stage(name: str, fn):
        c, w = time.process_time(), time.perf_counter()
        with _fewer_garbage_collections():  # as `generate` runs the stages
            value = fn()
        times[name] = (time.process_time() - c, time.perf_counter() - w)
        return value

    project, _ = stage("load + validate", lambda: load_and_validate(root, "base"))
    names = sorted(project.pipelines)
    plans = stage("plan", lambda: [plan_job(project, n, job_path(n, "base")) for n in names])
    sources = stage("render", lambda: [render_job(p) for p in plans])
    texts = ["".join(p.text for p in s) for s in sources]
    checked = stage(
        "safety net (tauro_gen.jobcheck.check_job: parse, compile, pyflakes)",
        lambda: [
            check_job(text, p.script_path, map_sections(text, p.code))
            for p, text in zip(plans, texts, strict=True)
        ],
    )
    formatted = stage(
        FORMAT_STAGE,
        lambda: [
            formatter.format([fmt.Part(*p) for p in s], c.tree)
            for s, c in zip(sources, checked, strict=True)
        ],
    )
    fingerprint = generator_fingerprint()
    stage(
        "manifest",
        lambda: [
            to_json(manifest_of(p, s, fingerprint)) for p, s in zip(plans, formatted, strict=True)
        ],
    )
    sample = ["".join(p.text for p in s) for s in sources[:: max(1, len(sources) // 25)]]
    c, w = time.process_time(), time.perf_counter()
    for s in sample:
        black.format_str(s, mode=fmt.MODE)
    scale = len(sources) / len(sample)
    times[f"black.format_str on each whole file (estimated from {len(sample)} jobs)"] = (
        (time.process_time() - c) * scale,
        (time.perf_counter() - w) * scale,
    )
    return times


# -- d) latency -------------------------------------------------------------------------------


UNOBSERVED = "generated, observe() removed"
UNPOLLED = "generated, observe() removed, no progress polling"


def bench_d(runs: int, files: int) -> str:
    print("d) file drop -> committed output latency, 1-second trigger", flush=True)
    job = generated(BENCH / "projects" / "sales", "latency")
    baseline = BENCH / "baselines" / "csv_to_parquet.py"
    unobserved = without_observe(job)
    unpolled = without_polling(unobserved)
    samples: dict[str, list[float]] = {
        "hand-written": [],
        "generated": [],
        UNOBSERVED: [],
        UNPOLLED: [],
    }
    for i in range(runs):
        order = [
            ("generated", job, ()),
            ("hand-written", baseline, ("--trigger", "1 second")),
            (UNOBSERVED, unobserved, ()),
            (UNPOLLED, unpolled, ()),
        ]
        for name, script, args in order if i % 2 == 0 else reversed(order):
            lat = latency_session(script, args, files, seed=i)
            samples[name] += lat
            print(
                f"    {name:<30} p50 {percentile(lat, 50):.2f} s  p95 {percentile(lat, 95):.2f} s",
                flush=True,
            )
    first = first_file_table(runs)
    rows = []
    base = percentile(samples["hand-written"], 50)
    for name, lat in samples.items():
        rows.append(
            [
                name,
                len(lat),
                percentile(lat, 50),
                percentile(lat, 95),
                max(lat),
                percentile(lat, 50) / base,
            ]
        )
    return "\n".join(
        [
            "## d) Latency: file dropped → its rows committed in the output, 1-second trigger\n",
            f"{files} files per session, one at a time, each dropped (written beside the folder, "
            "renamed in) at a random moment 0–1 s after the previous one was committed; latency "
            "until the sink's commit log (_spark_metadata) lists a file holding its rows, polled "
            "every 20 ms. A first file (not counted) warms the job up.\n",
            table(["job", "files", "p50 s", "p95 s", "max s", "p50 ratio"], rows),
            "",
            first,
        ]
    )


# The generated job's own log lines that mark the phases of a first file (job.py's format).
LOG_TIME = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO \S+: "
PHASES = {
    "waiting": re.compile(LOG_TIME + r"waiting for a first file", re.MULTILINE),
    "pinned": re.compile(LOG_TIME + r"schema of .* inferred and pinned", re.MULTILINE),
    "started": re.compile(LOG_TIME + r"query \S+ started", re.MULTILINE),
}


def first_file_table(runs: int) -> str:
    """The first file after a start on a missing input folder (the tutorial's story), with a
    declared and an undeclared schema: drop → rows committed, and where the time goes."""
    declared = generated(BENCH / "projects" / "sales", "latency")
    project = WORK / "undeclared-project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(BENCH / "projects" / "sales", project)
    inputs = project / "config" / "inputs.yaml"
    inputs.write_text(re.sub(r"\n  schema: .*", "", inputs.read_text()))
    undeclared = generated(project, "latency")
    variants = {"declared schema": declared, "undeclared schema (inferred, pinned)": undeclared}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for i in range(runs):
        names = list(variants) if i % 2 == 0 else list(reversed(variants))
        for name in names:
            phases = first_file_session(variants[name])
            samples[name].append(phases)
            print(f"    first file, {name:<36} {phases['total']:.2f} s", flush=True)
    columns = ["total", "inference and pinning", "query start", "first batch"]
    rows = [
        [name, len(runs_), *(median(r[c] for r in runs_ if c in r) for c in columns)]
        for name, runs_ in samples.items()
    ]
    base = rows[0][2]
    for row in rows:
        row.append(row[2] / base)
    return "\n".join(
        [
            "### The first file after a start on a missing input folder\n",
            "The job starts before its input folder exists (as in the tutorial); once it is "
            "ready (query started, or waiting for a file to infer the schema from), the folder "
            "appears with one 100-row file. Seconds from the drop until the sink's commit log "
            "lists it; the phases from the job's own log lines (medians; *first batch* is the "
            "rest: from the query's start to the commit).\n",
            table(["job", "runs", *(f"{c} s" for c in columns), "total ratio"], rows),
        ]
    )


def first_file_session(script: Path) -> dict[str, float]:
    folder = WORK / f"d-first-{uuid.uuid4().hex[:6]}"
    folder.mkdir(parents=True)
    script = in_folder(script, folder)
    staging = folder / "data" / ".staging"
    staging.mkdir(parents=True)
    output = folder / "data" / "output"
    log_path = folder / "job.log"
    log = open(log_path, "w")  # noqa: SIM115 — closed below
    proc = subprocess.Popen(
        submit(script),
        cwd=folder,
        env=spark_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not (
            PHASES["waiting"].search(log_path.read_text())
            or PHASES["started"].search(log_path.read_text())
        ):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"job not ready:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.05)
        time.sleep(2)  # the job is idle, not in the middle of starting
        (staging / "0.csv").write_text(
            "id,date,amount\n" + "".join(f"{i},2024-01-01,1.5\n" for i in range(100))
        )
        inbox = folder / "data" / "input"
        inbox.mkdir(exist_ok=True)  # a job with a declared schema makes it to start
        os.rename(staging / "0.csv", inbox / "drop-000.csv")
        dropped, dropped_at = time.monotonic(), dt.datetime.now()
        while not committed_files(output):
            if proc.poll() is not None or time.monotonic() > dropped + 120:
                raise RuntimeError(f"file not committed:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.02)
        total = time.monotonic() - dropped
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()
    text = log_path.read_text()
    shutil.rmtree(folder, ignore_errors=True)
    phases = {"total": total}
    marks = {
        name: dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
        for name, pattern in PHASES.items()
        for m in pattern.finditer(text)
    }  # the last of each: "started" after the drop when the schema was inferred
    if "pinned" in marks:
        phases["inference and pinning"] = (marks["pinned"] - dropped_at).total_seconds()
        phases["query start"] = (marks["started"] - marks["pinned"]).total_seconds()
        phases["first batch"] = total - (marks["started"] - dropped_at).total_seconds()
    else:
        phases["first batch"] = total
    return phases


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def latency_session(script: Path, args: tuple[str, ...], files: int, seed: int) -> list[float]:
    import pyarrow.parquet as pq

    folder = workdir("d", None)
    script = in_folder(script, folder)
    inbox = folder / "data" / "input"
    staging = folder / "data" / ".staging"
    staging.mkdir()
    output = folder / "data" / "output"
    log = open(folder / "job.log", "w")  # noqa: SIM115 — closed below
    proc = subprocess.Popen(
        submit(script, *args),
        cwd=folder,
        env=spark_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    rng = random.Random(seed)
    latencies = []
    seen: set[Path] = set()
    try:
        for n in range(files + 1):
            ids = range(n * 1000, n * 1000 + 100)
            tmp = staging / f"{n}.csv"
            tmp.write_text("id,date,amount\n" + "".join(f"{i},2024-01-01,1.5\n" for i in ids))
            if n:
                time.sleep(rng.random())
            os.rename(tmp, inbox / f"drop-{n:03d}.csv")
            dropped = time.monotonic()
            deadline = dropped + (180 if n == 0 else 60)
            while True:
                new = [p for p in committed_files(output) if p not in seen]
                found = False
                for p in new:
                    seen.add(p)
                    if pq.ParquetFile(p).metadata.num_rows and ids.start in set(
                        pq.read_table(p, columns=["id"]).column("id").to_pylist()
                    ):
                        found = True
                if found:
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"job exited:\n{(folder / 'job.log').read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"file {n} not committed:\n{(folder / 'job.log').read_text()[-3000:]}"
                    )
                time.sleep(0.02)
            if n:
                latencies.append(time.monotonic() - dropped)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
    return latencies


# -- f) JVM start-up with a class-data-sharing archive ----------------------------------------


def bench_f(runs: int) -> str:
    """What an operator gains by giving the driver JVM a CDS archive (JDK 13+): the archive is
    made once by a training run of the same job (-XX:ArchiveClassesAtExit), then mapped by
    every later run (-XX:SharedArchiveFile). Nothing in the generated file changes."""
    print("f) spark-submit start-up with a class-data-sharing archive", flush=True)
    job = generated(BENCH / "projects" / "sales")
    data = sales_data(10_000, files=1)
    archive = WORK / "cds" / "real_time_sales.jsa"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.unlink(missing_ok=True)
    training = run_job(
        "training run",
        *_job(job, data, "f"),
        "--available-now",
        java=f"-XX:ArchiveClassesAtExit={archive}",
    )
    print(f"    training run                       wall {training.wall:6.1f} s", flush=True)
    variants = [
        _variant("no archive (JVM default)", job, data, "f"),
        _variant(
            "CDS archive of a training run", job, data, "f", f"-XX:SharedArchiveFile={archive}"
        ),
    ]
    results = interleaved(variants, runs)
    return "\n".join(
        [
            "## f) JVM start-up: a class-data-sharing archive for the driver\n",
            "The generated tutorial job (declared schema), one 10,000-row file, availableNow: "
            "most of its wall time is the JVM and session starting. The archive "
            f"({archive.stat().st_size / 1e6:.0f} MB) was written by one training run of the same job "
            "with `-XX:ArchiveClassesAtExit` and is given to the driver with "
            "`--driver-java-options -XX:SharedArchiveFile=...` (docs/deploy.md). Nothing in the "
            "generated file changes; a JVM given an archive it cannot use ignores it.\n",
            runs_table(results, "no archive (JVM default)", extra=("max_rss_mb",)),
        ]
    )


# -- e) quiet logging -------------------------------------------------------------------------


def bench_e() -> str:
    print("e) quiet logging", flush=True)
    project = BENCH / "projects" / "sales"
    data = sales_data(10_000, files=1)
    rows = []
    cases = [
        ("Spark's default log4j2 profile", "base", False),
        ("spark_conf: spark.log.level=WARN, showConsoleProgress=false", "quiet", False),
        ("… and spark.sql.adaptive.enabled=false", "quiet_no_aqe", False),
        ("log4j2 file at JVM start (rootLogger=error)", "base", True),
    ]
    for label, env, log4j in cases:
        script, folder = _job(generated(project, env), data, "e")
        cmd = submit(script, "--available-now", quiet=log4j)
        started = time.monotonic()
        result = subprocess.run(
            cmd,
            cwd=folder,
            env=spark_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        wall = time.monotonic() - started
        lines = result.stdout.splitlines()
        ours = [i for i, line in enumerate(lines) if " real_time_sales: " in line]
        before = ours[0] if ours else len(lines)
        spark_lines = [line for line in lines if " real_time_sales: " not in line]
        warn = sum(1 for line in spark_lines if " WARN " in line)
        info = sum(1 for line in spark_lines if " INFO " in line)
        rows.append([label, len(lines), before, info, warn, len(ours), result.returncode, wall])
        shutil.rmtree(folder, ignore_errors=True)
    return "\n".join(
        [
            "## e) Quiet logging: what a job prints under plain spark-submit\n",
            "The generated tutorial job (declared schema), one small file, availableNow, run with "
            "`spark-submit --master local[2]` and no other option.\n",
            table(
                [
                    "setting",
                    "lines",
                    "lines before the job's first",
                    "Spark INFO",
                    "Spark WARN",
                    "job's own lines",
                    "exit",
                    "wall s",
                ],
                rows,
            ),
        ]
    )


# -- h) dry-run -------------------------------------------------------------------------------

SESSION_ONLY = (
    "from pyspark.sql import SparkSession; "
    "SparkSession.builder.master('local[1]').getOrCreate().stop()"
)


def bench_h(runs: int, pipelines: int) -> str:
    """`tauro-gen dry-run --all` as a user runs it, against a local Spark session that only
    starts and stops (the same JVM start-up, measured in the same rounds)."""
    print("h) tauro-gen dry-run", flush=True)
    sys.path.insert(0, str(BENCH))
    from make_project import write_project

    projects = {"tutorial (repository root)": REPO}
    projects.update(
        (f"tests/projects/{p.name}", p)
        for p in sorted((REPO / "tests" / "projects").iterdir())
        if (p / "config").is_dir()
    )
    projects[f"{pipelines} generated pipelines"] = write_project(
        WORK / f"dry-{pipelines}", pipelines
    )
    cli = str(VENV_BIN / "tauro-gen")
    times: dict[str, list[float]] = {}
    outcome: dict[str, str] = {}

    def timed(name: str, command: list[str]) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        times.setdefault(name, []).append(time.monotonic() - started)
        return result

    for _ in range(runs):
        timed(
            "Spark session start + stop (baseline)", [str(VENV_BIN / "python"), "-c", SESSION_ONLY]
        )
        for name, root in projects.items():
            result = timed(name, [cli, "dry-run", "--all", "--project", str(root)])
            if result.returncode != 0:
                raise RuntimeError(f"dry-run {name}: exit {result.returncode}\n{result.stderr}")
            outcome[name] = result.stderr.strip().splitlines()[-1].removeprefix("dry-run: ")
            print(f"    {name:<40} {times[name][-1]:6.2f} s ({outcome[name]})", flush=True)
    baseline = median(times["Spark session start + stop (baseline)"])
    rows = [
        [name, len(v), median(v), f"{median(v) / baseline:.2f}", outcome.get(name, "")]
        for name, v in times.items()
    ]
    return "\n".join(
        [
            "## h) dry-run: Spark's analysis of every pipeline\n",
            "`tauro-gen dry-run --all` as a subprocess (Python and JVM start-up included) on "
            "the repository's tutorial, each example project and a generated project; the "
            "baseline is a Python process that starts a local Spark session and stops it, "
            "measured in the same rounds.\n",
            table(["project", "runs", "median s", "× session start", "result"], rows),
        ]
    )


# -- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=None, help="rounds per comparison (3)")
    parser.add_argument("--quick", action="store_true", help="1 round, small data")
    parser.add_argument("--only", default="a,b,c,d,e,f,h", help="sections, e.g. a,c")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="replace only these sections in an existing --out file (noted in its machine table)",
    )
    args = parser.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    only = set(args.only.split(","))
    WORK.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(json.dumps(info, indent=1), flush=True)
    started = time.monotonic()
    sections = {}
    if "c" in only:
        sections["c"] = bench_c(runs, 100 if args.quick else 500)
    if "a" in only:
        sections["a"] = bench_a(runs, [200_000] if args.quick else [1_000_000, 10_000_000])
    if "b" in only:
        sections["b"] = bench_b(runs, args.quick)
    if "d" in only:
        sections["d"] = bench_d(runs, 5 if args.quick else 20)
    if "e" in only:
        sections["e"] = bench_e()
    if "f" in only:
        sections["f"] = bench_f(runs)
    if "h" in only:
        sections["h"] = bench_h(runs, 10 if args.quick else 50)
    info["load average at end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    info["duration"] = f"{(time.monotonic() - started) / 60:.0f} min"
    info["command"] = "bench/run.py " + " ".join(sys.argv[1:])
    if args.merge and args.out.exists():
        text = merged(args.out.read_text(), sections, info)
    else:
        header = [
            "# Benchmark results\n",
            "Written by `bench/run.py` (see bench/README.md). Medians of interleaved runs on a "
            "shared machine: compare ratios measured in the same run, not absolute times across "
            "runs.\n",
            "## Machine\n",
            table(["", ""], [[k, v] for k, v in info.items()]),
            "",
        ]
        text = "\n".join(header + [sections[k] for k in sorted(sections)]) + "\n"
    args.out.write_text(text)
    print(f"wrote {args.out}")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


def merged(existing: str, sections: dict[str, str], info: dict[str, str]) -> str:
    """`existing` with these sections replaced, and a machine-table row saying when."""
    parts = re.split(r"(?m)^(?=## [a-z]\) )", existing)
    head, old = parts[0], {p[3]: p.rstrip("\n") + "\n" for p in parts[1:]}
    old.update({k: v.rstrip("\n") + "\n" for k, v in sections.items()})
    note = (
        f"| sections {', '.join(sorted(sections))} re-run | {info['date']}, load average "
        f"{info['load average at start']} → {info['load average at end']}, {info['duration']}, "
        f"commit {info['tauro-gen commit']}: `{info['command']}` |"
    )
    # The note goes at the end of the machine table (the head may go on with other text).
    table_end = re.search(r"(?ms)^## Machine\n.*?^\|.*?\n(?!\|)", head)
    at = table_end.end() if table_end else len(head.rstrip("\n")) + 1
    head = head[:at] + note + "\n" + head[at:]
    return head.rstrip("\n") + "\n\n" + "\n".join(old[k] for k in sorted(old))


if __name__ == "__main__":
    sys.exit(main())
