"""Stage 4 — render: lay a `JobPlan` out as Python source through the Jinja template.

The filters here are the only places where values become code, and they only ever produce
Python literals (or a call to the job's `env()` helper for `${env:...}` references, or a name
the plan made up for the job's own code): a config string can never become code.

The imports are not laid out from a list: the template is rendered once without the copied
code, and the names that layout uses which nothing in the job defines are looked up in
jobcode's one table of importable names (jobcode.import_block, which also refuses a job that
would use a name nothing defines).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import NamedTuple

import jinja2

from . import jobcode
from . import schema as schema_mod
from .identifiers import identifier_problem
from .model import Trigger
from .plan import EnvValue, JobPlan, Name, NodeCall


def py(value: object) -> str:
    """A Python expression for a config value."""
    if isinstance(value, EnvValue):
        return f"env({value.template!r})"
    if isinstance(value, Name):
        if not value.identifier.isidentifier():
            raise ValueError(f"not an identifier: {value.identifier!r}")
        return value.identifier
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(f"{py(v)}, " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


def args(values: tuple) -> str:
    """Positional call arguments: each value as `py` writes it."""
    return ", ".join(py(v) for v in values)


def call_arguments(node: NodeCall) -> str:
    """A node function's arguments: its DataFrames, then its params as keywords (validate
    refuses a key that is not exactly an identifier, TG220; this is the last line of that)."""
    for key, _ in node.params:
        if identifier_problem(key):
            raise ValueError(f"params key {key!r} {identifier_problem(key)}")
    return ", ".join([*node.args, *(f"{key}={py(value)}" for key, value in node.params)])


def doc(text: object) -> str:
    """Text that is safe inside a docstring or a comment: one line, no quotes that end it."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def sentence(text: object) -> str:
    """`doc`, ending with exactly one full stop."""
    line = doc(text)
    return line if line.endswith((".", "!", "?")) else line + "."


def trigger(value: Trigger) -> str:
    if value.kind == "processing_time":
        return f"processingTime={value.interval!r}"
    if value.kind == "continuous":
        return f"continuous={value.interval!r}"
    if value.kind == "available_now":
        return "availableNow=True"
    return "once=True"


def struct(value: schema_mod.StructType) -> str:
    return schema_mod.to_python(value)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(jobcode.template_path().parent)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters.update(
        py=py,
        args=args,
        call_arguments=call_arguments,
        doc=doc,
        sentence=sentence,
        trigger=trigger,
        struct=struct,
    )
    return env.get_template(jobcode.template_path().name)


class Piece(NamedTuple):
    """A piece of a rendered job; `formatted`: already black's output where it goes (format's
    Part has the same shape: render does not import the later stage)."""

    text: str
    formatted: bool = False


# After the runtime pieces, so that every name main() calls is defined when it runs.
MAIN_GUARD = '\n\nif __name__ == "__main__":\n    raise SystemExit(main())\n'


def render_job(plan: JobPlan) -> tuple[Piece, ...]:
    """The job's text in parts for format_job: the template's layout of what is particular
    to this pipeline, the runtime pieces (stored black-formatted, so copied as they are),
    and the `__main__` guard."""
    template = _template()
    runtime = plan.runtime
    layout = template.render(
        plan=dataclasses.replace(plan, code=(), runtime=dataclasses.replace(runtime, sections=())),
        imports="",
    )
    imports = jobcode.import_block(
        layout + MAIN_GUARD,
        plan_names=plan.defined_names,
        copied_names=(*plan.code_names, *runtime.names),
        copied_imports=(*plan.code_imports, *runtime.imports),
        entries=runtime.entries,
        job_names=runtime.job_names,
    )
    pieces = "".join(
        f"\n\n# --- tauro-gen runtime from {section.source} ---\n"
        + "\n\n\n".join(text.rstrip("\n") for text in section.texts)
        + "\n"
        for section in runtime.sections
    )
    parts = [Piece(template.render(plan=plan, imports=imports))]
    if pieces:
        parts.append(Piece(pieces, formatted=True))
    return (*parts, Piece(MAIN_GUARD))
