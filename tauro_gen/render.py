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
import math
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import jinja2

from . import jobcode
from . import schema as schema_mod
from .identifiers import identifier_problem
from .model import Trigger
from .plan import CodeSection, EnvValue, JobPlan, Name, NodeCall, Sink
from .rename import free_locals, rename_globals


def py(value: object) -> str:
    """A Python expression for a config value."""
    if isinstance(value, EnvValue):
        return f"env({schema_mod.py_string(value.template)})"
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
    if isinstance(value, float) and not math.isfinite(value):
        # repr() gives the bare names nan and inf, which no job defines
        return f'float("{value}")'
    if isinstance(value, str):
        return schema_mod.py_string(value)
    if value is None or isinstance(value, (bool, int, float)):
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
    config = [] if node.node_config is None else [py(node.node_config)]
    return ", ".join([*node.args, *config, *(f"{key}={py(v)}" for key, v in node.params)])


def doc(text: object) -> str:
    """Any text made safe inside a docstring or a comment: one line; backslashes, control
    characters and lone surrogates shown as escapes (a NUL byte would stop the file from
    compiling); no quotes that end the docstring, at its end either."""
    line = " ".join(str(text).split()).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    line = "".join(_escaped(c) if unicodedata.category(c) in _UNSAFE else c for c in line)
    if line.endswith('"'):
        body = line[:-1]
        # Unless escaped already (an odd run of backslashes before it: the text's own are
        # doubled above, so an odd one is the escape of a '"""').
        if (len(body) - len(body.rstrip("\\"))) % 2 == 0:
            return body + '\\"'
    return line


# Control characters, lone surrogates, unassigned code points (line and paragraph
# separators are whitespace, gone already).
_UNSAFE = frozenset({"Cc", "Cs", "Cn"})


def _escaped(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    )


def sentence(text: object) -> str:
    """`doc`, ending with exactly one full stop."""
    line = doc(text)
    return line if line.endswith((".", "!", "?")) else line + "."


def trigger(value: Trigger) -> str:
    if value.kind == "processing_time":
        return f"processingTime={py(value.interval)}"
    if value.kind == "continuous":
        return f"continuous={py(value.interval)}"
    if value.kind == "available_now":
        return "availableNow=True"
    return "once=True"


def struct(value: schema_mod.StructType) -> str:
    return schema_mod.to_python(value, black=True)


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
    to this pipeline (the user's code in it), the runtime pieces (stored black-formatted, so
    copied as they are unless a name in them yields to the user's), and the `__main__` guard.

    The job's own names that the user's code binds too are renamed (plan.job_renames) in
    everything but the user's code: the layout is rendered with the user's code as
    placeholder comments and the user's functions under stand-in names, renamed, and only
    then given the user's names and code back.
    """
    template = _template()
    runtime = plan.runtime
    renames = dict(plan.job_renames)
    user_functions, stand_in = _stand_ins(plan)
    by_mark: dict[str, str] = {}

    def mark(text: str) -> str:
        by_mark[_CODE_MARK.format(len(by_mark))] = text
        return _CODE_MARK.format(len(by_mark) - 1)

    layout_plan = dataclasses.replace(
        stand_in,
        code=tuple(CodeSection(s.source, tuple(map(mark, s.texts))) for s in plan.code),
        runtime=dataclasses.replace(runtime, sections=()),
    )
    layout = template.render(plan=layout_plan, imports=_IMPORTS_MARK)
    layout = free_locals(rename_globals(layout, renames), user_functions, plan.code_names)
    layout = rename_globals(layout, user_functions)
    main_guard = rename_globals(MAIN_GUARD, renames)
    imports = jobcode.import_block(
        layout + main_guard,
        plan_names=plan.defined_names,
        copied_names=(*plan.code_names, *(renames.get(n, n) for n in runtime.names)),
        copied_imports=plan.code_imports,
        entries=runtime.entries,
        job_names=runtime.job_names,
        renames=renames,
        runtime_imports=runtime.imports,
    )
    by_mark[_IMPORTS_MARK] = imports
    text = re.sub(
        r"^# tauro-gen:(?:code \d+|imports)$", lambda m: by_mark[m[0]], layout, flags=re.M
    )
    parts = [Piece(text)]
    for section in runtime.sections:
        copied = tuple(rename_globals(t, renames) for t in section.texts)
        parts.append(
            Piece(
                f"\n\n# --- tauro-gen runtime from {section.source} ---\n"
                + "\n\n\n".join(t.rstrip("\n") for t in copied)
                + "\n",
                formatted=copied == section.texts,
            )
        )
    return (*parts, Piece(main_guard))


_CODE_MARK = "# tauro-gen:code {}"
_IMPORTS_MARK = "# tauro-gen:imports"


def _stand_ins(plan: JobPlan) -> tuple[dict[str, str], JobPlan]:
    """The plan with the user's functions the layout calls under stand-in names, and the
    user's name of each stand-in."""
    names: dict[str, str] = {}

    def stand_in(name: str) -> str:
        names.setdefault(name, f"_tauro_user_{len(names)}_")
        return names[name]

    nodes = tuple(
        dataclasses.replace(n, function=stand_in(n.function)) if n.function else n
        for n in plan.nodes
    )
    sinks = {
        s.name: dataclasses.replace(s, batch_function=stand_in(s.batch_function))
        for s in plan.sinks
        if s.kind == "foreach_batch" and s.batch_function
    }

    def sink(s: Sink) -> Sink:
        return sinks.get(s.name, s)

    replaced = dataclasses.replace(
        plan,
        nodes=nodes,
        sinks=tuple(map(sink, plan.sinks)),
        stream_sinks=tuple(map(sink, plan.stream_sinks)),
        batch_sinks=tuple(map(sink, plan.batch_sinks)),
    )
    return {v: k for k, v in names.items()}, replaced
