"""Write a synthetic Tauro-style project with N pipelines (default 500) for generator timing.

The mix is what a real data platform looks like: streaming csv → parquet jobs with declared
schemas, windowed aggregations with watermarks, stream-static joins, and batch reports. Node
code lives in a handful of shared modules (with a shared helper library), so a generator that
re-parsed node modules per pipeline would show it.

    .venv/bin/python bench/make_project.py DIR [--pipelines 500]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

DOMAINS = ["sales", "orders", "clicks", "payments", "shipments", "inventory", "returns", "users"]
# Pipeline names of realistic, varied lengths ("orders_eu_mobile_17"), fixed by a seed.
WORDS = [
    "eu",
    "us",
    "apac",
    "latam",
    "daily",
    "hourly",
    "mobile",
    "web",
    "store",
    "partner",
    "wholesale",
    "retail",
    "marketplace",
    "subscriptions",
    "b2b",
    "fraud",
    "loyalty",
    "v2",
]

LIB = '''"""Helpers shared by every node module."""

from pyspark.sql import functions as F

MIN_AMOUNT = 0
CURRENCIES = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}


def positive(column):
    return F.col(column) > MIN_AMOUNT


def in_eur(amount, currency):
    rate = F.lit(1.0)
    for code, value in sorted(CURRENCIES.items()):
        rate = F.when(F.col(currency) == code, F.lit(value)).otherwise(rate)
    return F.col(amount) * rate
'''

NODE_MODULE = '''"""Nodes for the {domain} domain."""

from pyspark.sql import functions as F

from src.lib.common import in_eur, positive


def clean(df):
    """Valid rows only, amounts in EUR, with a processing timestamp."""
    return (
        df.filter(positive("amount"))
        .withColumn("amount_eur", in_eur("amount", "currency"))
        .withColumn("processed_at", F.current_timestamp())
    )


def per_minute(df, window="1 minute"):
    """Totals per key and event-time window."""
    return df.groupBy(F.window("event_time", window), "key").agg(
        F.count(F.lit(1)).alias("events"), F.sum("amount").alias("amount")
    )


def enrich(events, dims):
    """Stream-static join with a dimension table."""
    return events.join(dims, on="key", how="left")


def daily(df):
    """Batch report: totals per day and key."""
    return df.groupBy(F.to_date("event_time").alias("day"), "key").agg(
        F.sum("amount").alias("amount")
    )
'''

SCHEMA = "id BIGINT, key STRING, amount DOUBLE, currency STRING, event_time TIMESTAMP"


def write_project(root: Path, pipelines: int) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "config").mkdir(parents=True)
    (root / "src" / "lib").mkdir(parents=True)
    (root / "src" / "nodes").mkdir(parents=True)
    (root / "src" / "lib" / "common.py").write_text(LIB)
    for domain in DOMAINS:
        (root / "src" / "nodes" / f"{domain}.py").write_text(NODE_MODULE.format(domain=domain))

    inputs, outputs, nodes, pipes = [], [], [], []
    rng = random.Random(pipelines)
    for i in range(pipelines):
        domain = DOMAINS[i % len(DOMAINS)]
        words = rng.sample(WORDS, rng.randint(1, 3))
        name = "_".join([domain, *words, str(i)])
        kind = i % 4  # 0: csv→parquet, 1: windowed agg, 2: stream-static join, 3: batch
        fn = f"src.nodes.{domain}"
        src = f"{name}_in"
        inputs.append(
            f"{src}:\n  format: csv\n  path: data/{name}/in/\n"
            f"  streaming: {'false' if kind == 3 else 'true'}\n"
            f'  schema: "{SCHEMA}"\n'
            + ("  watermark: {column: event_time, delay: 10 minutes}\n" if kind == 1 else "")
        )
        out = f"{name}_out"
        if kind == 3:
            outputs.append(
                f"{out}:\n  format: parquet\n  path: data/{name}/out/\n  mode: overwrite\n"
            )
        else:
            mode = "  output_mode: append\n" if kind == 1 else ""
            outputs.append(
                f"{out}:\n  format: parquet\n  path: data/{name}/out/\n  streaming: true\n{mode}"
            )
        if kind == 0:
            nodes.append(
                f"{name}_clean:\n  function: {fn}.clean\n  input: {src}\n  output: {out}\n"
            )
            members = [f"{name}_clean"]
        elif kind == 1:
            nodes.append(f"{name}_clean:\n  function: {fn}.clean\n  input: {src}\n")
            nodes.append(
                f"{name}_agg:\n  function: {fn}.per_minute\n  input: {name}_clean\n"
                f"  output: {out}\n  params: {{window: 5 minutes}}\n"
            )
            members = [f"{name}_clean", f"{name}_agg"]
        elif kind == 2:
            dims = f"{name}_dims"
            inputs.append(
                f"{dims}:\n  format: parquet\n  path: data/{name}/dims/\n"
                '  schema: "key STRING, label STRING"\n'
            )
            nodes.append(f"{name}_clean:\n  function: {fn}.clean\n  input: {src}\n")
            nodes.append(
                f"{name}_enrich:\n  function: {fn}.enrich\n  input: [{name}_clean, {dims}]\n"
                f"  output: {out}\n"
            )
            members = [f"{name}_clean", f"{name}_enrich"]
        else:
            nodes.append(
                f"{name}_daily:\n  function: {fn}.daily\n  input: {src}\n  output: {out}\n"
            )
            members = [f"{name}_daily"]
        conf = "  spark_conf:\n    spark.sql.shuffle.partitions: 2\n" if kind == 1 else ""
        pipes.append(f"{name}:\n  nodes: [{', '.join(members)}]\n{conf}")

    config = root / "config"
    config.joinpath("inputs.yaml").write_text("".join(inputs))
    config.joinpath("outputs.yaml").write_text("".join(outputs))
    config.joinpath("nodes.yaml").write_text("".join(nodes))
    config.joinpath("pipelines.yaml").write_text("".join(pipes))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--pipelines", type=int, default=500)
    args = parser.parse_args()
    write_project(args.dir, args.pipelines)
    print(f"wrote {args.pipelines} pipelines to {args.dir}")


if __name__ == "__main__":
    main()
