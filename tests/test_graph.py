"""`tauro-gen graph`: the DAG of a pipeline as Mermaid (renders on code hosts) or DOT."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import REPO, tauro_gen

from tauro_gen.graph import _dot_text, _mermaid_text

SHOP = Path(__file__).resolve().parent / "diff_cases" / "shop"

TUTORIAL_MERMAID = """\
%% streaming pipeline 'real_time_sales' (env: base)
flowchart LR
    in_sales_stream[/"sales_stream<br/>csv stream<br/>data/input/"/]
    node_process_sales_stream["process_sales_stream<br/>process_sales()"]
    out_processed_sales[("processed_sales<br/>parquet stream<br/>data/output/<br/>trigger: default · append")]
    in_sales_stream --> node_process_sales_stream
    node_process_sales_stream --> out_processed_sales
    classDef input fill:#e8f1fb,stroke:#4a7ab5
    classDef output fill:#eaf6ea,stroke:#4a9a4a
    class in_sales_stream input
    class out_processed_sales output
"""


def test_tutorial_mermaid(tutorial):
    result = tauro_gen("graph", "--pipeline", "real_time_sales", cwd=tutorial)
    assert result.returncode == 0, result.stderr
    assert result.stdout == TUTORIAL_MERMAID


def test_fan_in_dag_with_batch_side_and_trigger(project):
    root = project("order_enrichment")
    mermaid = tauro_gen("graph", "--pipeline", "order_enrichment", cwd=root).stdout
    assert 'in_customers[/"customers<br/>csv batch<br/>data/customers/"/]' in mermaid
    # A node with several inputs numbers its edges: the function's argument order.
    assert 'node_clean_orders -- "1" --> node_enrich_orders' in mermaid
    assert 'node_tidy_customers -- "2" --> node_enrich_orders' in mermaid
    assert "trigger: processing time 2 seconds · append" in mermaid

    dot = tauro_gen("graph", "--pipeline", "order_enrichment", "--format", "dot", cwd=root)
    assert dot.returncode == 0
    lines = dot.stdout.splitlines()
    assert lines[0] == 'digraph "order_enrichment" {' and lines[-1] == "}"
    assert (
        '    in_orders [shape=parallelogram, label="orders\\njson stream\\ndata/orders/"];' in lines
    )
    assert '    node_clean_orders -> node_enrich_orders [label="1"];' in lines
    assert "    node_enrich_orders -> out_enriched_orders;" in lines


def test_kafka_topics_and_env_references(tmp_path, monkeypatch):
    monkeypatch.setenv("KAFKA_BROKERS", "secret-broker:9092")
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    result = tauro_gen("graph", "--pipeline", "shop", cwd=root)
    assert result.returncode == 0, result.stderr
    assert 'in_clicks[/"clicks<br/>kafka stream<br/>topic clicks"/]' in result.stdout
    assert "topic page-views<br/>trigger: default · update" in result.stdout
    assert "watermark ordered_at 10 minutes" in result.stdout
    assert "secret-broker" not in result.stdout


def test_batch_pipeline_shows_save_modes(project):
    root = project("batch_sales")
    result = tauro_gen("graph", "--pipeline", "daily_sales_report", cwd=root)
    assert result.returncode == 0
    assert "%% batch pipeline 'daily_sales_report' (env: base)" in result.stdout
    assert "parquet batch<br/>data/report/<br/>mode: overwrite" in result.stdout


def test_errors_exit_2(tutorial):
    unknown = tauro_gen("graph", "--pipeline", "real_time_sale", cwd=tutorial)
    assert unknown.returncode == 2
    assert "unknown pipeline 'real_time_sale' (did you mean 'real_time_sales'?)" in unknown.stderr
    bad = tauro_gen("graph", "--pipeline", "real_time_sales", "--format", "png", cwd=tutorial)
    assert bad.returncode == 2 and "--format must be mermaid or dot" in bad.stderr


def test_labels_are_escaped():
    assert _mermaid_text('a "b" <c> & #d') == "a #34;b#34; #60;c#62; #38; #35;d"
    assert _dot_text('a "b" \\c') == 'a \\"b\\" \\\\c'


def test_example_readme_shows_the_graph():
    """The tutorial scaffold's README embeds the graph; it must be what graph prints."""
    readme = (REPO / "tauro_gen/scaffold/README.md").read_text()
    assert "```mermaid\n" + TUTORIAL_MERMAID + "```" in readme
