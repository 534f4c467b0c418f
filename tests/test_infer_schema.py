"""`tauro-gen infer-schema`: a declared schema from sample files, written into the YAML with
its comments and layout intact."""

from __future__ import annotations

import json

import pytest
from harness import drop_file, tauro_gen

TUTORIAL_INPUTS = """\
inputs:
  sales_stream:
    path: data/input/
    format: csv
    streaming: true  # Enable streaming mode
"""
SAMPLE = "id,date,amount,customer\n1,2024-01-15,150.00,Alice\n2,2024-01-15,200.00,Bob\n"


def test_errors_are_reported_before_spark_starts(tutorial, project):
    unknown = tauro_gen("infer-schema", "sales_strem", cwd=tutorial)
    assert unknown.returncode == 2
    assert "unknown input 'sales_strem' (did you mean 'sales_stream'?)" in unknown.stderr
    no_samples = tauro_gen("infer-schema", "sales_stream", cwd=tutorial)
    assert no_samples.returncode == 2
    assert "data/input/ does not exist yet; give --sample FILE" in no_samples.stderr
    missing = tauro_gen("infer-schema", "sales_stream", "--sample", "nope.csv", cwd=tutorial)
    assert missing.returncode == 2 and "sample 'nope.csv' does not exist" in missing.stderr
    declared = tauro_gen("infer-schema", "customers", cwd=project("order_enrichment"))
    assert declared.returncode == 2
    assert "already declares a schema; pass --force to replace it" in declared.stderr
    for result in (unknown, no_samples, missing, declared):
        assert "Traceback" not in result.stderr


def test_formats_spark_cannot_sample_are_refused(tmp_path):
    root = tmp_path / "p"
    (root / "config").mkdir(parents=True)
    (root / "config/inputs.yaml").write_text(
        "events:\n  format: kafka\n  streaming: true\n  options: {subscribe: e}\n"
    )
    (root / "config/pipelines.yaml").write_text("p:\n  nodes: [n]\n")
    result = tauro_gen("infer-schema", "events", cwd=root)
    assert result.returncode == 2
    assert "input 'events' has format 'kafka'; infer-schema reads csv, json, parquet, orc" in (
        result.stderr
    )


@pytest.mark.spark
def test_csv_schema_written_keeping_comments_and_layout(tutorial):
    assert (tutorial / "config/inputs.yaml").read_text() == TUTORIAL_INPUTS
    sample = tutorial / "samples/sales.csv"
    sample.parent.mkdir()
    sample.write_text(SAMPLE)
    result = tauro_gen(
        "infer-schema", "sales_stream", "--sample", "samples/sales.csv", cwd=tutorial
    )
    assert result.returncode == 0, result.stderr
    ddl = "id INT, date DATE, amount DOUBLE, customer STRING"
    assert (
        tutorial / "config/inputs.yaml"
    ).read_text() == TUTORIAL_INPUTS + f'    schema: "{ddl}"\n'
    assert "config/inputs.yaml: input 'sales_stream': schema written" in result.stdout
    # The job now declares the schema instead of pinning an inferred one.
    assert tauro_gen("build", "--all", cwd=tutorial).returncode == 0
    manifest = json.loads((tutorial / "build/real_time_sales.manifest.json").read_text())
    assert manifest["sources"][0]["schema"] == ddl
    assert manifest["sources"][0]["schema_pinned_at"] is None
    again = tauro_gen("infer-schema", "sales_stream", "--sample", "samples/sales.csv", cwd=tutorial)
    assert again.returncode == 2 and "--force" in again.stderr


@pytest.mark.spark
def test_json_samples_from_the_inputs_own_folder_replace_a_list_schema(project):
    root = project("order_enrichment")
    inputs = root / "config/inputs.yaml"
    before = inputs.read_text()
    drop_file(
        root / "data/orders",
        "o1.json",
        '{"order_id": 1, "customer_id": 7, "amount": 12.5, "country": "GB"}\n'
        '{"order_id": 2, "customer_id": 8, "amount": 3.0, "country": "US"}\n',
    )
    dry = tauro_gen("infer-schema", "orders", "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    ddl = "amount DOUBLE, country STRING, customer_id BIGINT, order_id BIGINT"
    assert dry.stdout == f'schema: "{ddl}"\n'
    assert inputs.read_text() == before

    forced = tauro_gen("infer-schema", "orders", "--force", cwd=root)
    assert forced.returncode == 0, forced.stderr
    after = inputs.read_text().splitlines()
    old = before.splitlines()
    # The five `- {name: ...}` lines become one DDL line; every other line is untouched.
    start = old.index("    schema:")
    assert after == old[:start] + [f'    schema: "{ddl}"'] + old[start + 6 :]
    assert tauro_gen("validate", cwd=root).returncode == 0


@pytest.mark.spark
def test_parquet_sample(tutorial, spark, tmp_path):
    folder = tmp_path / "sample.parquet"
    spark.createDataFrame([(1, "a", 2.5)], "id BIGINT, name STRING, score DOUBLE").write.parquet(
        str(folder)
    )
    inputs = tutorial / "config/inputs.yaml"
    inputs.write_text(inputs.read_text().replace("format: csv", "format: parquet"))
    result = tauro_gen(
        "infer-schema",
        "sales_stream",
        "--sample",
        str(folder),
        "--dry-run",
        cwd=tutorial,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'schema: "id BIGINT, name STRING, score DOUBLE"\n'
