"""Stage 4 — render: lay a `JobPlan` out as Python source through the Jinja template.

The filters here are the only places where values become code, and they only ever produce
Python literals (or a call to the job's `env()` helper for `${env:...}` references): a config
string can never become code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from . import schema as schema_mod
from .model import Trigger
from .plan import EnvValue, JobPlan


def template_dir() -> Path:
    """Templates ship inside the wheel (tauro_gen/templates); in a checkout they live at the
    repository root."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "templates"


def py(value: object) -> str:
    """A Python expression for a config value."""
    if isinstance(value, EnvValue):
        return f"env({value.template!r})"
    if isinstance(value, list):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(f"{py(v)}, " for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__}")


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
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.filters.update(py=py, doc=doc, sentence=sentence, trigger=trigger, struct=struct)
    return env


def render_job(plan: JobPlan) -> str:
    return _environment().get_template("job.py.j2").render(plan=plan)
