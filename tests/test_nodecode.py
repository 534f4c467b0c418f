"""nodecode: what is copied from a node module is complete (every statement a used name
needs, in file order) or refused, located in the .py file.

Each case copies one node function out of a small module, runs the copied code on its own
(as the job would hold it) and calls the function: a statement left out is a NameError or a
wrong value here, as it would be at the job's start."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tauro_gen.diagnostics import Location
from tauro_gen.nodecode import CodeError, SourceIndex, free_names

WHERE = Location("config/nodes.yaml", 1, 1)


def _collect(root: Path, modules: dict[str, str], function: str):
    for name, text in modules.items():
        path = root / "src" / (name.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    index = SourceIndex(root)
    mod, func = index.resolve_function(function, None, WHERE)
    return index.collect(mod, func)


def _run(code, *args):
    """The copied code as a job lays it out (imports, then blocks in file order), executed,
    and the node function called."""
    lines = []
    for ref in code.imports:
        alias = f" as {ref.asname}" if ref.asname else ""
        lines.append(
            f"from {ref.module} import {ref.name}{alias}"
            if ref.name
            else f"import {ref.module}{alias}"
        )
    by_file: dict[str, list] = {}
    for block in code.blocks:
        by_file.setdefault(block.source, []).append(block)
    for blocks in by_file.values():
        lines += [b.text for b in sorted(blocks, key=lambda b: b.line)]
    namespace: dict = {}
    exec(compile("\n\n".join(lines), "<job>", "exec"), namespace)  # noqa: S102 (the test)
    return namespace[code.function](*args)


def test_try_except_import_is_copied_whole(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            try:
                from zoneinfo import ZoneInfo
            except ImportError:
                from backports.zoneinfo import ZoneInfo


            def node(df):
                return str(ZoneInfo("UTC"))
            """},
        "src.nodes.node",
    )
    assert _run(code, None) == "UTC"


def test_a_method_may_call_a_helper_defined_below_its_class(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            class Tagger:
                prefix = "t-"

                def tag(self, value):
                    return self.prefix + shout(value)


            def shout(value):
                return value.upper()


            def node(df):
                return Tagger().tag("x")
            """},
        "src.nodes.node",
    )
    assert _run(code, None) == "t-X"


def test_helper_defined_in_if_else_is_copied_with_both_branches(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            import sys

            if sys.version_info >= (3, 0):
                def helper():
                    return "new"
            else:
                def helper():
                    return "old"


            def node(df):
                return helper()
            """},
        "src.nodes.node",
    )
    assert _run(code, None) == "new"


def test_rebinding_keeps_the_earlier_binding(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            COLUMNS = ["id"]
            COLUMNS = COLUMNS + ["amount"]
            EXTRA = []
            EXTRA.append("ts")


            def node(df):
                return COLUMNS + EXTRA
            """},
        "src.nodes.node",
    )
    assert _run(code, None) == ["id", "amount", "ts"]


def test_loop_that_fills_a_dict_is_copied(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            NAMES = ["a", "b"]
            RATES = {}
            for name in NAMES:
                RATES[name] = len(name)


            def node(df):
                return RATES
            """},
        "src.nodes.node",
    )
    assert _run(code, None) == {"a": 1, "b": 1}


def test_nested_def_shadowing_an_import_does_not_hide_it(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            from datetime import date


            def node(df):
                def inner():
                    def date():
                        return "shadow"
                    return date()
                return (date(2020, 1, 2).isoformat(), inner())
            """},
        "src.nodes.node",
    )
    assert _run(code, None) == ("2020-01-02", "shadow")


def test_unused_statements_are_not_copied(tmp_path):
    code = _collect(
        tmp_path,
        {"nodes": """
            UNUSED = {}
            UNUSED["x"] = 1
            USED = 2


            def node(df):
                return USED
            """},
        "src.nodes.node",
    )
    assert [b.name for b in code.blocks] == ["USED", "node"]


def test_statements_across_local_modules(tmp_path):
    code = _collect(
        tmp_path,
        {
            "helpers": """
            BASE = ["id"]
            BASE += ["ts"]
            """,
            "nodes": """
            from src.helpers import BASE

            COLUMNS = BASE + ["amount"]


            def node(df):
                return COLUMNS
            """,
        },
        "src.nodes.node",
    )
    assert _run(code, None) == ["id", "ts", "amount"]


def test_project_import_inside_try_is_refused_in_the_py_file(tmp_path):
    with pytest.raises(CodeError) as caught:
        _collect(
            tmp_path,
            {
                "helpers": "X = 1\n",
                "nodes": """
                try:
                    from src.helpers import X
                except ImportError:
                    X = 2


                def node(df):
                    return X
                """,
            },
            "src.nodes.node",
        )
    problem = caught.value.problem
    assert problem.code == "TG311"
    assert problem.location == Location("src/nodes.py", 3, 5)


def test_node_function_inside_if_is_refused(tmp_path):
    with pytest.raises(CodeError) as caught:
        _collect(
            tmp_path,
            {"nodes": "import sys\nif sys:\n    def node(df):\n        return df\n"},
            "src.nodes.node",
        )
    assert caught.value.problem.code == "TG303"
    assert caught.value.problem.location == Location("src/nodes.py", 2, 1)


def test_free_names_follow_python_scoping():
    import ast

    tree = ast.parse(textwrap.dedent("""
            def f(a, *, b=DEFAULT):
                def g():
                    local = 1
                    return local + a + OUTER
                return [x for x in ITEMS] + g() + len(a)
            """))
    assert free_names(tree.body[0]) == {"DEFAULT", "OUTER", "ITEMS"}
    assert free_names(ast.parse("X = X + [1]").body[0]) == {"X"}


# -- the one summary of what node code does ---------------------------------------------------


def _summary(tmp_path, text, params=None):
    from tauro_gen.nodecode import summarize

    return summarize(_collect(tmp_path, {"nodes": text}, "src.nodes.node"), params)


def test_string_and_path_joins_are_not_dataframe_joins(tmp_path):
    summary = _summary(
        tmp_path,
        """
        import os


        def node(df, other, names=("a", "b")):
            label = ", ".join(names)
            where = os.path.join("data", label)
            return df.join(other, "id").withColumn("w", F.lit(where))
        """,
    )
    assert [(op.kind, op.on) for op in summary.operations] == [("join", "'id'")]


def test_params_and_local_constants_stand_for_names_and_the_rest_is_marked_unresolved(tmp_path):
    summary = _summary(
        tmp_path,
        """
        def node(df, size, keys):
            window = F.window("ts", size)
            return df.withWatermark("ts", "1 minute").groupBy(window, *keys).count()
        """,
        {"size": "5 minutes"},
    )
    by_kind = {op.kind: op for op in summary.operations}
    assert set(by_kind) == {"window", "watermark", "aggregation"}
    watermark, aggregation = by_kind["watermark"], by_kind["aggregation"]
    assert watermark.arguments == "'ts', '1 minute'" and watermark.unresolved == ()
    assert aggregation.keys == "F.window('ts', '5 minutes'), *keys"
    assert aggregation.unresolved == ("keys",)  # no param gives it: the keys are a guess
    assert (aggregation.source, aggregation.line) == ("src/nodes.py", 4)


def test_a_streaming_limit_is_stateful_but_needs_no_shuffle_sizing(tmp_path):
    summary = _summary(tmp_path, "def node(df):\n    return df.limit(10)\n")
    assert summary.kinds == {"limit"}
    assert summary.stateful and not summary.shuffles
    summary = _summary(tmp_path, "def node(df):\n    return df.dropDuplicates(['id'])\n")
    assert summary.stateful and summary.shuffles


def test_every_stateful_kind_has_its_diff_rule():
    """diff judges a changed stateful operator by its kind: the kinds are nodecode's."""
    from tauro_gen import diff
    from tauro_gen.nodecode import OPERATIONS, SHUFFLE_KINDS, STATEFUL_KINDS

    assert set(diff.STATEFUL_RULE) == STATEFUL_KINDS
    assert SHUFFLE_KINDS <= STATEFUL_KINDS <= set(OPERATIONS.values())
