"""The rules for tauro_gen/runtime/ (its package docstring): what jobs copy from it may
import only the standard library and pyspark, and from the job only what `job` stands in for."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

RUNTIME = Path(__file__).resolve().parent.parent / "tauro_gen" / "runtime"
MODULES = sorted(p for p in RUNTIME.glob("*.py") if p.name != "__init__.py")
SIBLINGS = {p.stem for p in MODULES}


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_runtime_module_imports_only_the_standard_library_pyspark_and_siblings(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                assert top in sys.stdlib_module_names or top == "pyspark", alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                assert node.level == 1 and node.module in SIBLINGS, node.module
            else:
                top = (node.module or "").split(".")[0]
                assert top in sys.stdlib_module_names | {"pyspark", "__future__"}, node.module


def test_what_runtime_pieces_take_from_the_job_is_what_the_template_defines():
    from tauro_gen.jobcode import TEMPLATE_NAMES

    job = ast.parse((RUNTIME / "job.py").read_text(encoding="utf-8"))
    stands_in = {
        t.id
        for n in job.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    } | {n.name for n in job.body if isinstance(n, ast.FunctionDef)}
    assert stands_in and stands_in <= TEMPLATE_NAMES
