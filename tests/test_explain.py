"""`tauro-gen explain`: every value a pipeline runs with, and where it came from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness import tauro_gen

SHOP = Path(__file__).resolve().parent / "diff_cases" / "shop"


def explain(root: Path, *args: str) -> str:
    result = tauro_gen("explain", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return result.stdout


def line_of(text: str, start: str) -> str:
    found = [line for line in text.splitlines() if line.strip().startswith(start)]
    assert found, f"no line starting with {start!r} in:\n{text}"
    return found[0]


def test_tutorial_values_defaults_and_implied_wiring(tutorial):
    text = explain(tutorial, "--pipeline", "real_time_sales")
    assert text.startswith(
        "# tauro-gen explain: pipeline 'real_time_sales', env 'base' (streaming)"
    )
    assert line_of(text, "path: data/input/").endswith("# config/inputs.yaml:3:11")
    assert line_of(text, "streaming: true").endswith("# config/inputs.yaml:5:16")
    assert line_of(text, "input: [sales_stream]").endswith("# implied: the project's only input")
    assert line_of(text, "output: [processed_sales]").endswith(
        "# implied: the project's only output"
    )
    assert line_of(text, "type: streaming").endswith("# derived: input 'sales_stream' streams")
    assert line_of(text, "checkpoint: checkpoints/real_time_sales/processed_sales").endswith(
        "# default: <checkpoint_root>/<pipeline>/<output>"
    )
    assert line_of(text, "query_name: real_time_sales.processed_sales").endswith(
        "# default: <pipeline>.<output>"
    )
    assert "pinned in checkpoints/real_time_sales/_schemas/sales_stream" in text
    assert line_of(text, 'options.header: "true"').endswith("reads a header row")


def test_env_overlay_values_point_at_the_overlay(tutorial):
    overlay = tutorial / "config/dev"
    overlay.mkdir()
    (overlay / "outputs.yaml").write_text(
        "outputs:\n  processed_sales:\n    path: /tmp/dev-output/\n    query_name: dev_sales\n"
    )
    text = explain(tutorial, "--pipeline", "real_time_sales", "--env", "dev")
    assert "env 'dev'" in text.splitlines()[0]
    assert line_of(text, "path: /tmp/dev-output/").endswith("# config/dev/outputs.yaml:3:11")
    assert line_of(text, "query_name: dev_sales").endswith("# config/dev/outputs.yaml:4:17")
    assert line_of(text, "format: parquet").endswith("# config/outputs.yaml:4:13")  # from base
    assert line_of(text, "script: build/dev/real_time_sales.py")


def test_interpolation_shows_what_was_written(project):
    root = project("order_enrichment")
    text = explain(root, "--pipeline", "order_enrichment")
    assert line_of(text, "path: data/orders/").endswith(
        "# config/inputs.yaml:4:11 (written ${data_root}/orders/)"
    )
    assert line_of(text, "checkpoint_root: state/checkpoints").endswith(
        "# config/global_settings.yaml:2:18"
    )
    assert line_of(text, "trigger:").endswith("# config/outputs.yaml:7:7")
    assert line_of(
        text,
        'spark_conf: {spark.log.level: WARN, spark.ui.showConsoleProgress: "false", '
        'spark.sql.adaptive.enabled: "false", '
        "spark.sql.parquet.outputTimestampType: TIMESTAMP_MICROS, "
        "spark.sql.shuffle.partitions: 4}",
    )


def test_output_ends_with_a_newline(tutorial):
    """The next line, e.g. a warning on stderr in the same terminal, starts on its own line."""
    for fmt in ("text", "json"):
        result = tauro_gen(
            "explain", "--pipeline", "real_time_sales", "--format", fmt, cwd=tutorial
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.endswith("\n") and not result.stdout.endswith("\n\n"), fmt


def test_env_references_stay_references(tmp_path, monkeypatch):
    monkeypatch.setenv("KAFKA_BROKERS", "kafka-secret-host:9092")
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    text = explain(root, "--pipeline", "shop")
    assert "kafka-secret-host" not in text
    assert line_of(text, 'kafka.bootstrap.servers: "${env:KAFKA_BROKERS}"').endswith(
        "# config/inputs.yaml:20:32"
    )
    assert line_of(text, "env_vars: [KAFKA_BROKERS]").endswith(
        "# read from the environment when the job starts"
    )


def test_json_format(tutorial):
    data = json.loads(explain(tutorial, "--pipeline", "real_time_sales", "--format", "json"))
    assert data["pipeline"] == "real_time_sales" and data["kind"] == "streaming"
    values = {v["path"]: v for v in data["values"]}
    assert values["inputs.sales_stream.path"] == {
        "path": "inputs.sales_stream.path",
        "value": "data/input/",
        "origin": "config/inputs.yaml:3:11",
    }
    assert values["outputs.processed_sales.output_mode"]["origin"] == "default: append"


def test_errors_exit_2(tutorial):
    unknown = tauro_gen("explain", "--pipeline", "nope", cwd=tutorial)
    assert unknown.returncode == 2 and "unknown pipeline 'nope'" in unknown.stderr
    (tutorial / "config/nodes.yaml").write_text("process_sales_stream:\n  functon: x\n")
    broken = tauro_gen("explain", "--pipeline", "real_time_sales", cwd=tutorial)
    assert broken.returncode == 2
    assert "config/nodes.yaml:2:3: error" in broken.stderr
    assert "Traceback" not in broken.stderr
