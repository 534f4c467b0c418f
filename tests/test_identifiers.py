"""What a plain name and an identifier are (tauro_gen/identifiers.py), as Python sees them."""

from __future__ import annotations

import keyword

import pytest

from tauro_gen.identifiers import identifier_for, identifier_problem, is_plain_name


@pytest.mark.parametrize(
    "name,expected",
    [
        ("sales", "sales"),
        ("sales_m²", "sales_m2"),  # NFKC: what Python would read, and an identifier
        ("ﬁles", "files"),
        ("ventes_été", "ventes_été"),  # a Unicode identifier is kept
        ("daily-sales.v2", "daily_sales_v2"),
        ("2024_sales", "n2024_sales"),
        ("class", "class_"),
        ("€", "x"),
    ],
)
def test_identifier_for_is_a_valid_identifier_in_python_s_own_form(name, expected):
    found = identifier_for(name)
    assert found == expected
    assert found.isidentifier() and not keyword.iskeyword(found)


def test_a_trailing_newline_is_not_a_plain_name():
    assert is_plain_name("real_time_sales")
    assert not is_plain_name("real_time_sales\n")
    assert not is_plain_name("dev\n")


@pytest.mark.parametrize(
    "key,problem",
    [
        ("min_amount", None),
        ("class", "is a Python keyword"),
        ("ﬁlter_min", "reads as 'filter_min'"),
        ("**{'z': 1}, min_amount", "is not a Python identifier"),
        ("min_amount\n", "is not a Python identifier"),
    ],
)
def test_identifier_problem(key, problem):
    found = identifier_problem(key)
    assert (found is None) if problem is None else problem in found


def test_an_input_and_a_node_that_map_to_one_identifier_get_distinct_variables(tmp_path):
    from tauro_gen.generate import load_and_validate
    from tauro_gen.plan import plan_job

    (tmp_path / "config").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "clean.py").write_text("def clean(df):\n    return df\n")
    files = {
        "pipelines": "sales:\n  nodes: [sales_m2]\n",
        "nodes": "sales_m2:\n  function: src.clean.clean\n  input: [sales_m²]\n  output: [out]\n",
        "inputs": "sales_m²:\n  format: parquet\n  path: data/in/\n",
        "outputs": "out:\n  format: parquet\n  path: data/out/\n",
    }
    for name, text in files.items():
        (tmp_path / "config" / f"{name}.yaml").write_text(text, encoding="utf-8")
    project, report = load_and_validate(tmp_path, "base")
    assert project is not None, [d.render() for d in report.errors]
    plan = plan_job(project, "sales", "build/sales.py")
    (source,) = plan.sources
    (node,) = plan.nodes
    assert source.var == "sales_m2" and node.result == "sales_m2_2"
    assert node.args == ("sales_m2",)
