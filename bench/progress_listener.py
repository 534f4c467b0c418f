"""Per-batch progress lines: today's polling of lastProgress against a
StreamingQueryListener (issue 13, section 2), measured in the same run.

    .venv/bin/python bench/progress_listener.py [--rounds 2] [--no-connect] > runs.jsonl
    .venv/bin/python bench/progress_listener.py --summarize runs.jsonl   # markdown table

Each (backend, mode, round) runs in its own Python process, so the CPU figure is that
process's alone (the driver's Python: main thread, py4j or gRPC callback threads). Two
queries per process, each about 20 micro-batches, both ending in a noop sink:

- rate: the rate source, 500 ms trigger, stopped by a stop request after 10 s (what
  SIGTERM does): is the last completed batch reported before run_until_stopped returns?
- files: 20 small files, one per batch, availableNow: batches run back to back and the
  query finishes by itself.

Both modes use the runtime's own run_until_stopped; "listener" swaps its report_progress
for a no-op and logs the same line from onQueryProgress. Backends: classic PySpark
(local[2]) and Spark Connect (a local server started here, as tests/test_spark_connect.py
does). Figures are ratios against polling in the same backend and round.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BATCH_LINE = " batch "


class Lines(logging.Handler):
    """Every progress line the job logs, with the time it was logged."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int, float]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        name, _, rest = message.partition(BATCH_LINE)
        if rest[:1].isdigit() and ":" in rest:
            self.seen.append((name, int(rest.split(":")[0]), record.created))


def batch_end(progress) -> float:
    started = datetime.fromisoformat(progress.timestamp.replace("Z", "+00:00"))
    return started.timestamp() + progress.batchDuration / 1000


def listener_class():
    from pyspark.sql.streaming import StreamingQueryListener

    from tauro_gen.runtime.job import log

    class ProgressLines(StreamingQueryListener):
        """The line report_progress writes, from the progress event of each batch."""

        def onQueryStarted(self, event):  # noqa: N802 - pyspark's names
            pass

        def onQueryProgress(self, event):  # noqa: N802
            progress = event.progress
            if "addBatch" not in progress.durationMs:
                return  # an idle trigger
            observed = progress.observedMetrics.get("rows_out")
            rows_out = observed[0] if observed else progress.sink.numOutputRows
            log.info(
                "%s batch %d: %d rows in, %s rows out, %d ms",
                progress.name,
                progress.batchId,
                progress.numInputRows,
                rows_out if isinstance(rows_out, int) and rows_out >= 0 else "n/a",
                progress.batchDuration,
            )

        def onQueryIdle(self, event):  # noqa: N802
            pass

        def onQueryTerminated(self, event):  # noqa: N802
            pass

    return ProgressLines()


def start_query(spark, scenario: str, work: Path):
    if scenario == "rate":
        stream = spark.readStream.format("rate").option("rowsPerSecond", 20).load()
        trigger = {"processingTime": "500 milliseconds"}
    else:
        source = work / "files"
        source.mkdir()
        for index in range(20):
            (source / f"{index:02d}.txt").write_text(f"row {index}\n" * 50)
        stream = spark.readStream.option("maxFilesPerTrigger", 1).text(str(source))
        trigger = {"availableNow": True}
    writer = stream.writeStream.queryName(scenario).format("noop")
    writer = writer.option("checkpointLocation", str(work / f"checkpoint-{scenario}"))
    return writer.trigger(**trigger).start()


def child(mode: str, remote: str | None, work: Path) -> dict:
    """One process: both scenarios in one mode; the figures as a dict."""
    from pyspark.sql import SparkSession

    from tauro_gen.runtime import stopping
    from tauro_gen.runtime.job import log

    builder = SparkSession.builder
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master("local[2]").config("spark.ui.enabled", "false")
    spark = builder.getOrCreate()
    lines = Lines()
    log.addHandler(lines)
    log.setLevel(logging.INFO)
    log.propagate = False
    if mode == "listener":
        stopping.report_progress = lambda queries, reported: None
        spark.streams.addListener(listener_class())
    figures = {}
    for scenario in ("rate", "files"):
        lines.seen.clear()
        stop = stopping.StopRequest()
        cpu, wall = time.process_time(), time.monotonic()
        query = start_query(spark, scenario, work)
        if scenario == "rate":
            timer = threading.Timer(10, setattr, (stop, "signal_name", "SIGTERM"))
            timer.start()
        code = stopping.run_until_stopped(spark, [query], stop)
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        at_return = list(lines.seen)
        time.sleep(3)  # events still on their way when the job would have exited
        batches = {
            p.batchId: batch_end(p) for p in query.recentProgress if "addBatch" in p.durationMs
        }
        reported = [batch_id for _, batch_id, _ in at_return]
        latencies = [created - batches[b] for _, b, created in at_return if b in batches]
        figures[scenario] = {
            "code": code,
            "batches": len(batches),
            "lines": len(reported),
            "missing": len(set(batches) - set(reported)),
            "duplicated": len(reported) - len(set(reported)),
            "late_lines": len(lines.seen) - len(at_return),
            "last_reported": max(batches, default=-1) in reported,
            "latency_p50_ms": 1000 * statistics.median(latencies) if latencies else None,
            "latency_max_ms": 1000 * max(latencies) if latencies else None,
            "cpu_s": cpu,
            "wall_s": wall,
        }
    spark.stop()
    return figures


def run_child(mode: str, remote: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="progress-bench-") as work:
        command = [sys.executable, __file__, "--child", mode, "--work", work]
        if remote:
            command += ["--remote", remote]
        env = {**os.environ, "PYTHONPATH": str(REPO), "SPARK_LOCAL_IP": "127.0.0.1"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
        return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(results: list[dict]) -> str:
    """One markdown row per run and scenario; ratios against polling of the same round,
    backend and scenario."""
    rows = [
        "| backend | scenario | round | mode | batches | lines at return | missing |"
        " duplicated | last batch reported | latency p50 ms | latency max ms |"
        " latency ratio | driver CPU s | CPU ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    baseline = {
        (r["round"], r["backend"], scenario): r[scenario]
        for r in results
        if r["mode"] == "polling"
        for scenario in ("rate", "files")
    }

    def ratio(value, base):
        return f"{value / base:.2f}" if value is not None and base else "n/a"

    def number(value):
        return "n/a" if value is None else f"{value:.0f}"

    for backend in ("classic", "connect"):
        for scenario in ("rate", "files"):
            for r in sorted(results, key=lambda r: (r["round"], r["mode"] != "polling")):
                if r["backend"] != backend or scenario not in r:
                    continue
                f, base = r[scenario], baseline[(r["round"], backend, scenario)]
                rows.append(
                    f"| {backend} | {scenario} | {r['round']} | {r['mode']} | {f['batches']}"
                    f" | {f['lines']} | {f['missing']} | {f['duplicated']}"
                    f" | {'yes' if f['last_reported'] else 'no'}"
                    f" | {number(f['latency_p50_ms'])} | {number(f['latency_max_ms'])}"
                    f" | {ratio(f['latency_p50_ms'], base['latency_p50_ms'])}"
                    f" | {f['cpu_s']:.3f} | {ratio(f['cpu_s'], base['cpu_s'])} |"
                )
    return "\n".join(rows)


def connect_server(work: Path):
    sys.path.insert(0, str(REPO / "tests"))
    from test_spark_connect import ConnectServer  # the suite's own way to start one

    return ConnectServer(work)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--remote")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-connect", action="store_true")
    parser.add_argument("--summarize", type=Path)
    args = parser.parse_args()
    if args.summarize:
        print(summarize([json.loads(line) for line in args.summarize.read_text().splitlines()]))
        return 0
    if args.child:
        print(json.dumps(child(args.child, args.remote, args.work)))
        return 0
    results = []
    backends = [("classic", None)]
    server = None
    if not args.no_connect:
        server_dir = Path(tempfile.mkdtemp(prefix="progress-bench-connect-"))
        server = connect_server(server_dir)
        backends.append(("connect", server.remote))
    try:
        for round_ in range(args.rounds):
            for backend, remote in backends:
                modes = ("polling", "listener") if round_ % 2 == 0 else ("listener", "polling")
                for mode in modes:
                    figures = run_child(mode, remote)
                    results.append({"round": round_, "backend": backend, "mode": mode, **figures})
                    print(json.dumps(results[-1]), flush=True)
    finally:
        if server:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
