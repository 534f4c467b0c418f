"""What a generated job holds besides what its plan decides: tauro-gen's runtime pieces, the
names the job binds itself, and where the names its template code uses are imported from.

- The runtime (tauro_gen/runtime/) is read with the collector that copies node code
  (`nodecode.SourceIndex`), so each piece comes with the helpers and the imports it uses.
- `JOB_NAMES` and `JOB_IMPORTS`, what user code must keep clear of (validate, TG308) and
  what plan names its readers and writers around, are derived here from the template and
  the runtime modules, never listed by hand.
- `IMPORTABLE` is the one table of the names the template's own code may take from outside
  the job; `import_block` turns the names a rendered job uses into its import statements.

Nothing here imports Jinja or black: validate reads JOB_NAMES.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from .diagnostics import Location
from .nodecode import (
    BUILTINS,
    CodeBlock,
    CopiedCode,
    ImportRef,
    SourceIndex,
    free_names,
    module_bindings,
)

PACKAGE_DIR = Path(__file__).resolve().parent
RUNTIME_PACKAGE = "tauro_gen.runtime"
# Black's default line length (format.MODE; tests/test_format.py checks they agree): the
# imports are laid out as black lays them out, so that black changes nothing there.
BLACK_LINE_LENGTH = 88
# The module that stands in for the names a job defines itself (PIPELINE, log, ...).
JOB_MODULE = f"{RUNTIME_PACKAGE}.job"

RUNTIME = SourceIndex(
    PACKAGE_DIR.parent, search_roots=[PACKAGE_DIR.parent], job_modules=[JOB_MODULE]
)


class JobCodeError(RuntimeError):
    """A rendered job that could not start (a name nothing defines, a piece nothing calls):
    a bug in tauro-gen, never a user mistake."""


def template_path() -> Path:
    """The job template ships inside the wheel (tauro_gen/templates); in a checkout it
    lives at the repository root."""
    packaged = PACKAGE_DIR / "templates"
    folder = packaged if packaged.is_dir() else PACKAGE_DIR.parent / "templates"
    return folder / "job.py.j2"


# -- the runtime --------------------------------------------------------------------------


def runtime_modules() -> tuple[str, ...]:
    """Dotted names of the modules whose definitions are copied into jobs."""
    folder = PACKAGE_DIR / "runtime"
    return tuple(
        f"{RUNTIME_PACKAGE}.{path.stem}"
        for path in sorted(folder.glob("*.py"))
        if path.stem not in ("__init__", "job")
    )


def _runtime_definitions() -> dict[str, str]:
    """Every top-level name a runtime module defines -> that module."""
    found: dict[str, str] = {}
    for dotted in runtime_modules():
        module = RUNTIME.load(dotted, Location(dotted.replace(".", "/") + ".py", 0, 0))
        for name in module.defs:
            if name in found:
                raise JobCodeError(f"runtime: '{name}' is defined in {found[name]} and {dotted}")
            found[name] = dotted
    return found


RUNTIME_DEFINITIONS = _runtime_definitions()


@cache
def collect_runtime(entries: tuple[str, ...]) -> CopiedCode:
    """The runtime pieces `entries` name, with every definition and import they need."""
    unknown = [name for name in entries if name not in RUNTIME_DEFINITIONS]
    if unknown:
        raise JobCodeError(f"no runtime piece named {', '.join(unknown)}")
    blocks: dict[tuple[str, str], CodeBlock] = {}
    imports: dict[ImportRef, None] = {}
    job_names: dict[str, None] = {}
    # Modules in the order of the entries that name them: the job reads its runtime from
    # what it calls first (stopping, for a streaming job) to what it calls last.
    for dotted in dict.fromkeys(RUNTIME_DEFINITIONS[name] for name in entries):
        names = [name for name in entries if RUNTIME_DEFINITIONS[name] == dotted]
        copied = RUNTIME.collect_definitions(dotted, names)
        for block in copied.blocks:
            blocks.setdefault((block.source, block.name), block)
        imports.update(dict.fromkeys(copied.imports))
        job_names.update(dict.fromkeys(copied.job_names))
    return CopiedCode(tuple(blocks.values()), tuple(imports), tuple(job_names))


# -- names the job binds ------------------------------------------------------------------

# A top-level binding the template writes literally (per-pipeline names are `{{ ... }}`).
_TEMPLATE_BINDING = re.compile(
    r"^(?:(?:def|class)\s+(?P<defined>[A-Za-z_]\w*)|(?P<assigned>[A-Za-z_]\w*)\s*=[^=])",
    re.MULTILINE,
)


def _template_names() -> frozenset[str]:
    text = template_path().read_text(encoding="utf-8")
    return frozenset(
        m.group("defined") or m.group("assigned") for m in _TEMPLATE_BINDING.finditer(text)
    )


# The names the template's code binds in every job that needs them (PIPELINE, log, main...).
TEMPLATE_NAMES = _template_names()

# The one table of names the template's code may use from outside the job. Copied code
# (node code, runtime pieces) brings its own imports; these are for the rest.
SCHEMA_TYPES = (
    "ArrayType",
    "BinaryType",
    "BooleanType",
    "ByteType",
    "CharType",
    "DateType",
    "DecimalType",
    "DoubleType",
    "FloatType",
    "IntegerType",
    "LongType",
    "MapType",
    "ShortType",
    "StringType",
    "StructField",
    "StructType",
    "TimestampNTZType",
    "TimestampType",
    "VarcharType",
)
IMPORTABLE: dict[str, ImportRef] = {
    ref.bound: ref
    for ref in (
        ImportRef("argparse"),
        ImportRef("logging"),
        ImportRef("os"),
        ImportRef("pyspark.sql", "DataFrame"),
        ImportRef("pyspark.sql", "SparkSession"),
        ImportRef("pyspark.sql", "functions", "F"),
        ImportRef("pyspark.sql.streaming", "StreamingQuery"),
        *(ImportRef("pyspark.sql.types", name) for name in SCHEMA_TYPES),
    )
}


def _job_imports() -> dict[str, str]:
    """Bound name -> what it refers to, for every import a job's own code may hold."""
    every_piece = collect_runtime(tuple(RUNTIME_DEFINITIONS))
    targets: dict[str, str] = {}
    for ref in (*IMPORTABLE.values(), *every_piece.imports):
        if targets.setdefault(ref.bound, ref.target) != ref.target:
            raise JobCodeError(
                f"'{ref.bound}' is imported as both {targets[ref.bound]} and {ref.target}"
            )
    return targets


# What user code copied into a job may not define (it would clash), and the imports it may
# share only if they bind the same thing. validate and plan read these (model.py).
JOB_NAMES = TEMPLATE_NAMES | frozenset(RUNTIME_DEFINITIONS)
JOB_IMPORTS = _job_imports()


def _job_words() -> frozenset[str]:
    texts = [template_path().read_text(encoding="utf-8")]
    texts += [
        (PACKAGE_DIR / "runtime" / f"{m.rsplit('.', 1)[-1]}.py").read_text()
        for m in runtime_modules()
    ]
    return frozenset(word for text in texts for word in re.findall(r"[A-Za-z_]\w*", text))


# Every word of the template and the runtime code: a superset of the names (local or global)
# the job's own code uses. A name the job's code takes instead of one the user's code binds
# (plan's job renames) is chosen outside it, so it never meets a local of the job's functions.
JOB_WORDS = _job_words()


# -- a rendered job's imports ---------------------------------------------------------------


def import_block(
    layout: str,
    plan_names: Iterable[str],
    copied_names: Iterable[str],
    copied_imports: Iterable[ImportRef],
    entries: Iterable[str],
    job_names: Iterable[str],
    renames: Mapping[str, str] | None = None,
    runtime_imports: Iterable[ImportRef] = (),
) -> str:
    """The import statements of a job, from the names its code uses.

    `layout` is the rendered template without the copied code; `plan_names` the top-level
    names the plan gives per pipeline (readers, writers, schema constants); the copied code
    (node code and runtime pieces) defines `copied_names` and needs `copied_imports`. Every
    free name of the layout must resolve to one of those, a builtin or IMPORTABLE; every
    runtime piece in `entries` must be used; every name in `job_names` (what the pieces take
    from the job) must be defined by the layout. Anything else is a job that cannot start.

    `renames` are the job's own names that yield to the user's (plan's job_renames), already
    applied to `layout` and to the runtime pieces; the job's imports (IMPORTABLE and
    `runtime_imports`, the runtime pieces') bind the new names, `copied_imports` (the user's)
    keep theirs.
    """
    renames = dict(renames or {})
    template_names = {renames.get(name, name) for name in TEMPLATE_NAMES}
    importable = {
        renames.get(bound, bound): _renamed(ref, renames) for bound, ref in IMPORTABLE.items()
    }
    copied_imports = [*copied_imports, *(_renamed(ref, renames) for ref in runtime_imports)]
    entries = [renames.get(name, name) for name in entries]
    job_names = [renames.get(name, name) for name in job_names]
    tree = ast.parse(layout)
    bound = module_bindings(tree)
    unexpected = bound - template_names - set(plan_names)
    if unexpected:
        raise JobCodeError(f"the template binds {sorted(unexpected)}, unknown to jobcode")
    used = set().union(*(free_names(stmt) for stmt in tree.body))
    by_bound: dict[str, ImportRef] = {}
    # One spelling per bound name (`import pyspark.sql.functions as F` and `from pyspark.sql
    # import functions as F` are one import), the same in every job.
    for ref in sorted(set(copied_imports), key=_sort_key):
        by_bound.setdefault(ref.bound, ref)
    unresolved = used - bound - set(copied_names) - BUILTINS - set(by_bound)
    missing = sorted(name for name in unresolved if name not in importable)
    if missing:
        raise JobCodeError(f"the job would use names nothing defines: {', '.join(missing)}")
    for name in unresolved:
        by_bound[name] = importable[name]
    unused = sorted(set(entries) - used)
    if unused:
        raise JobCodeError(f"runtime pieces copied but never called: {', '.join(unused)}")
    absent = sorted(set(job_names) - bound)
    if absent:
        raise JobCodeError(f"runtime pieces need {', '.join(absent)}, which the job lacks")
    return _layout(by_bound.values())


def _renamed(ref: ImportRef, renames: Mapping[str, str]) -> ImportRef:
    """`ref` bound to the job's new name for it, if it has one (`import signal as signal_`)."""
    if ref.bound not in renames:
        return ref
    return ImportRef(ref.module, ref.name, renames[ref.bound])


def _layout(refs: Iterable[ImportRef]) -> str:
    """isort's layout (what ruff's I rules expect): the standard library, then the rest;
    in each, plain imports first, then one `from` line per module with names ordered
    constants, classes, functions, and each aliased name on a line of its own."""
    sections: dict[bool, tuple[list[str], dict[str, list[str]]]] = {
        True: ([], {}),
        False: ([], {}),
    }
    for ref in refs:
        plain, froms = sections[ref.module.split(".")[0] in sys.stdlib_module_names]
        alias = f" as {ref.asname}" if ref.asname else ""
        if ref.name is None:
            plain.append(ref.module + alias)
        else:
            froms.setdefault(ref.module, []).append(ref.name + alias)
    blocks = []
    for is_std in (True, False):
        plain, froms = sections[is_std]
        lines = [f"import {module}" for module in sorted(set(plain))]
        for module, names in sorted(froms.items()):
            names = sorted(set(names), key=_isort_key)
            unaliased = [n for n in names if " as " not in n]
            line = f"from {module} import {', '.join(unaliased)}"
            if unaliased and len(line) > BLACK_LINE_LENGTH:  # as black splits it
                lines.append(
                    f"from {module} import (\n" + "".join(f"    {n},\n" for n in unaliased) + ")"
                )
            elif unaliased:
                lines.append(line)
            lines += [f"from {module} import {n}" for n in names if " as " in n]
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _sort_key(ref: ImportRef) -> tuple[str, str, str]:
    return ref.module, ref.name or "", ref.asname or ""


def _isort_key(name: str) -> tuple:
    """isort's order of imported names: constants, classes, functions, each by name; one
    name imported under two aliases (the job's and the user's), by alias the same way."""
    bare, _, alias = name.partition(" as ")
    kind = 0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2
    return kind, bare.lower(), _isort_key(alias) if alias else ()
