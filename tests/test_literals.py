"""Every config value render.py writes into a job is a Python literal that evaluates to the
value itself (tests/test_generated_code_scan.py checks that no config text becomes code)."""

from __future__ import annotations

import ast
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from tauro_gen.render import doc, py

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_a_value_becomes_a_literal_that_evaluates_to_it(value):
    text = py(value)
    ast.parse(text, mode="eval")  # an expression on its own: nothing else can be in it
    assert same(eval(text, {"__builtins__": {"float": float}}), value), text


def test_non_finite_floats_are_spelled_with_float():
    assert py(float("nan")) == 'float("nan")'
    assert py(float("-inf")) == 'float("-inf")'
    assert py([1.5, float("inf")]) == '[1.5, float("inf")]'


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_is_safe_in_a_docstring_and_a_comment(text):
    line = doc(text)
    for source in (f'"""Job: {line}"""\n', f'"""{line}"""\n', f"x = 1  # {line}\n"):
        compile(source, "job.py", "exec")
    assert "\n" not in line and "\0" not in line


def test_a_docstring_keeps_backslashes_and_shows_control_characters():
    assert doc("dist\\unix") == "dist\\\\unix"
    assert doc("data/\0in") == "data/\\x00in"
    assert doc('ends with "quote"') == 'ends with "quote\\"'
    assert doc('ends with """') == 'ends with \\"\\"\\"'  # escaped once, not twice
    assert doc('ends with \\"') == 'ends with \\\\\\"'  # its backslash doubled, quote escaped
