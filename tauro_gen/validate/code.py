"""User code: node functions and foreach_batch functions found and parsed in `src/` (through
`nodecode`, never imported), their signatures against the wiring (TG304), and the names they
bring into one job (TG308)."""

from __future__ import annotations

import re

from ..diagnostics import Location, did_you_mean
from ..model import NodeSpec, OutputSpec, ResolvedPipeline
from ..nodecode import CodeError, NodeCode, SourceIndex
from .context import Context
from .names import bad_param_keys

DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")  # matched whole (fullmatch)
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# What reading a module that exists can raise besides CodeError: reported as TG310.
_UNREADABLE = (OSError, UnicodeDecodeError, ValueError, RecursionError)


def resolve_code(ctx: Context, nodes: dict[str, NodeSpec], outputs: dict[str, OutputSpec]):
    """Find, parse and check the function of every node and foreach_batch output; each module
    is parsed once for the whole project."""
    sources = SourceIndex(ctx.raw.root)
    for node in nodes.values():
        _resolve_node(ctx, node, sources)
    for output in outputs.values():
        _resolve_foreach_batch(ctx, output, sources)


def _resolve_node(ctx: Context, node: NodeSpec, sources: SourceIndex) -> None:
    if node.function is None:
        return  # a Tauro streaming node without a function: its input passed on, no code
    key = "module" if node.module is not None else "function"
    where = ctx.at("nodes", node.name, "function", value=True)
    problem = _function_problem(node)
    if problem:
        bad_key = key
        if node.module is not None and not problem[0].startswith("module"):
            bad_key = "function"
        ctx.report.error(
            "TG309",
            ctx.at("nodes", node.name, bad_key, value=True),
            f"node '{node.name}': {problem[0]}",
            problem[1],
        )
        return
    node.code = _collect(
        ctx,
        f"node '{node.name}'",
        (node.function, node.module),
        sources,
        where,
        "keep node code and the modules it imports inside the project",
    )
    if node.code is None:
        return
    code = node.code
    _pass_tauro_dates(ctx, node)
    for key in node.params:
        if key in bad_param_keys(node):
            continue  # not an identifier at all: TG220
        if key not in code.keyword_names and not code.takes_kwargs:
            ctx.report.error(
                "TG304",
                ctx.at("nodes", node.name, "params", key),
                f"node '{node.name}': {code.function}() has no parameter '{key}'",
                did_you_mean(str(key), code.keyword_names)
                or f"{code.function}() at {code.source}:{code.line} accepts: "
                + (", ".join(sorted(code.keyword_names)) or "no keyword arguments"),
            )
    check_signature(ctx, node)
    node.passes_config = _takes_node_config(node)
    if node.inputs:
        check_arity(ctx, node, len(node.inputs))


def _takes_node_config(node: NodeSpec) -> bool:
    """Tauro calls a streaming node as fn(df, node_config): the job passes the node's config
    too when the function has a positional parameter for it that no param fills (so the
    tutorial's one-argument process_sales(df) is called with the DataFrame alone)."""
    code = node.code
    if node.tauro_config is None or code is None:
        return False
    wired = len(node.inputs or ())
    if code.max_positional is not None and code.max_positional <= wired:
        return False
    if len(code.positional_names) > wired and code.positional_names[wired] in node.params:
        return False
    return code.max_positional is not None or code.required_positional > wired


def _pass_tauro_dates(ctx: Context, node: NodeSpec) -> None:
    """Tauro calls a batch node (module: + function:) as fn(*dfs, start_date=..., end_date=...)
    with the global settings' dates (None when unset): the job passes them to a function
    that takes them, unless the node's params give them."""
    code = node.code
    if node.module is None or node.tauro_config is not None or code is None:
        return
    settings = ctx.settings
    dates = {
        key: settings.get(key)
        for key in TAURO_DATE_PARAMS
        if key not in node.params and (key in code.keyword_names or code.takes_kwargs)
    }
    node.params = {**node.params, **dates}
    node.tauro_dates = tuple(dates)


TAURO_DATE_PARAMS = ("start_date", "end_date")


def check_tauro_dates(ctx: Context, pipeline: ResolvedPipeline, nodes: dict[str, NodeSpec]):
    """Tauro runs a pipeline that requires dates (its default) only with both of them: a node
    it passes them to gets a date, never None. tauro-gen fixes them at build time, from the
    global settings (Tauro's --start-date/--end-date have no equivalent at run time)."""
    spec = pipeline.spec
    if not spec.requires_dates:
        return
    receivers = [
        w.node
        for w in pipeline.order
        if any(nodes[w.node].params.get(k) is None for k in nodes[w.node].tauro_dates)
    ]
    if not receivers:
        return
    unset = [k for k in TAURO_DATE_PARAMS if any(k in nodes[n].tauro_dates for n in receivers)]
    ctx.report.error(
        "TG204",
        ctx.at("pipelines", spec.name, "requires_dates"),
        f"pipeline '{spec.name}' requires dates (Tauro's requires_dates, true unless set to "
        f"false) and passes {' and '.join(unset)} to {', '.join(receivers)}, but the global "
        "settings do not set them",
        "set start_date and end_date (YYYY-MM-DD) in config/global_settings.yaml or an "
        "environment overlay, or requires_dates: false to pass None",
    )


def check_signature(ctx: Context, node: NodeSpec) -> None:
    """A node function main() can call as written (TG304): a plain `def` (an `async def`
    returns a coroutine, not a DataFrame) given every keyword-only parameter it requires."""
    code = node.code
    defined_at = f"{code.function}() at {code.source}:{code.line}"
    if code.is_async:
        ctx.report.error(
            "TG304",
            ctx.at("nodes", node.name, "function", value=True),
            f"node '{node.name}': {code.function}() is an async def; the job calls node "
            "functions directly and needs the DataFrame they return",
            f"make {defined_at} a plain def",
        )
    missing = sorted(code.required_keyword_only - set(node.params))
    if missing:
        ctx.report.error(
            "TG304",
            ctx.at("nodes", node.name, "params" if node.params else "function"),
            f"node '{node.name}': {code.function}() requires the keyword-only parameter(s) "
            + ", ".join(f"'{name}'" for name in missing),
            f"give them under params:, or a default in {defined_at}",
        )


def _collect(
    ctx: Context,
    who: str,
    spelled: tuple[str, str | None],
    sources: SourceIndex,
    where: Location,
    hint: str,
) -> NodeCode | None:
    """The function `spelled` (function, module) names, found and parsed with what it uses;
    None when it was reported (`hint` for a problem nodecode gives none for)."""
    function, module = spelled
    try:
        mod, func = sources.resolve_function(function.strip(), module, where)
        return sources.collect(mod, func)
    except CodeError as exc:
        p = exc.problem
        ctx.report.error(p.code, p.location, f"{who}: {p.message}", p.hint or hint)
    except _UNREADABLE as exc:
        _unreadable_code(ctx, who, function, module, exc, sources, where)
    return None


def _function_problem(node: NodeSpec) -> tuple[str, str] | None:
    """A `function:` (or `module:`) that cannot name Python code at all: (message, hint)."""
    spelled = node.function.strip()
    if node.module is not None:
        module = node.module.strip()
        if not DOTTED.fullmatch(module):
            return f"module '{node.module}' is not a dotted module name", _dotted_hint(module)
        if not IDENTIFIER.fullmatch(spelled):
            hint = "with module:, function: names only the function"
            if DOTTED.fullmatch(spelled):
                hint += f", e.g. function: {spelled.rsplit('.', 1)[-1]}"
            return f"function '{node.function}' is not a function name", hint
        return None
    if not DOTTED.fullmatch(spelled):
        return f"function '{node.function}' is not a dotted Python name", _dotted_hint(spelled)
    return None


def _dotted_hint(text: str) -> str:
    dotted = re.sub(r"\.py$", "", text.strip()).replace("/", ".").replace("\\", ".").strip(".")
    if DOTTED.fullmatch(dotted):
        return f"write it with dots and without .py: {dotted}"
    return "write pkg.module.function, e.g. src.nodes.sales.clean_sales"


def _unreadable_code(
    ctx: Context, who: str, function: str, module: str | None, exc, sources: SourceIndex, where
) -> None:
    """Node code that exists but cannot be read as Python text (TG310), located in the file
    when we can tell which one."""
    dotted = module or ".".join(function.strip().split(".")[:-1]) or function
    path = sources.module_file(dotted) or sources.module_file(function.strip())
    if path is not None and isinstance(exc, UnicodeDecodeError):
        data = path.read_bytes()
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        display = (
            path.relative_to(sources.root).as_posix()
            if path.is_relative_to(sources.root)
            else str(path)
        )
        ctx.report.error(
            "TG310",
            Location(display, line, column),
            f"{who}: {display} is not UTF-8 text (byte 0x{data[exc.start]:02x})",
            "save the file as UTF-8; tauro-gen copies node code into the job as text",
        )
        return
    ctx.report.error(
        "TG310",
        where,
        f"{who}: cannot read its code: {exc}",
        "node code must be UTF-8 Python source that parses",
    )


def _resolve_foreach_batch(ctx: Context, out: OutputSpec, sources: SourceIndex) -> None:
    """`foreach_batch: pkg.mod.func` is user code like a node's: found, parsed and copied."""
    if out.format != "foreach_batch" and not out.foreach_batch:
        return
    if not out.foreach_batch:
        ctx.report.error(
            "TG204",
            out.location,
            f"output '{out.name}': format 'foreach_batch' needs 'foreach_batch: pkg.mod.func'",
            "name the function called as func(df, batch_id) for every micro-batch",
        )
        return
    if out.format != "foreach_batch":
        ctx.report.error(
            "TG207",
            ctx.at("outputs", out.name, "foreach_batch"),
            f"output '{out.name}': 'foreach_batch' goes with format 'foreach_batch', not '{out.format}'",
            "set format: foreach_batch, or remove foreach_batch",
        )
        return
    where = ctx.at("outputs", out.name, "foreach_batch", value=True)
    if out.foreach_module is not None and not (
        DOTTED.fullmatch(out.foreach_module.strip())
        and IDENTIFIER.fullmatch(out.foreach_batch.strip())
    ):
        ctx.report.error(
            "TG309",
            where,
            f"output '{out.name}': batch_function {{module: {out.foreach_module}, function: "
            f"{out.foreach_batch}}} does not name a module and a function in it",
            "write batch_function: {module: pkg.module, function: name}",
        )
        return
    if not DOTTED.fullmatch(out.foreach_batch.strip()):
        ctx.report.error(
            "TG309",
            where,
            f"output '{out.name}': foreach_batch '{out.foreach_batch}' is not a dotted Python name",
            _dotted_hint(out.foreach_batch),
        )
        return
    out.foreach_code = _collect(
        ctx,
        f"output '{out.name}'",
        (out.foreach_batch, out.foreach_module),
        sources,
        where,
        "keep the function and the modules it imports inside the project",
    )
    if out.foreach_code is None:
        return
    code = out.foreach_code
    if code.is_async:
        ctx.report.error(
            "TG304",
            where,
            f"output '{out.name}': {code.function}() is an async def; Spark calls it for each "
            "micro-batch and does not await it",
            f"make {code.function}() at {code.source}:{code.line} a plain def",
        )
    if code.required_positional > 2 or (
        code.max_positional is not None and code.max_positional < 2
    ):
        ctx.report.error(
            "TG304",
            where,
            f"output '{out.name}': {code.function}() must take (df, batch_id)",
            f"see {code.source}:{code.line}",
        )


def check_arity(ctx: Context, node: NodeSpec, wired: int) -> None:
    """A node's function takes as many DataFrames as it is wired to (TG304)."""
    code = node.code
    if code is None:
        return
    taken = wired + int(node.passes_config)  # positional arguments: DataFrames, node_config
    for key in node.params:
        if key in code.positional_names[:taken]:
            ctx.report.error(
                "TG304",
                ctx.at("nodes", node.name, "params", key),
                f"node '{node.name}': param '{key}' names the parameter of {code.function}() "
                "that receives a DataFrame",
                f"rename the param or the parameter at {code.source}:{code.line}; the first "
                f"{wired} parameter(s) take the node's input DataFrame(s)",
            )
    covered_by_params = sum(
        1 for p in node.params if p in code.keyword_names and p not in code.positional_names[:taken]
    )
    too_few = taken + covered_by_params < code.required_positional
    too_many = code.max_positional is not None and taken > code.max_positional
    if too_few or too_many:
        if code.max_positional is None:
            takes = f"at least {code.required_positional}"
        elif code.max_positional == code.required_positional:
            takes = str(code.required_positional)
        else:
            takes = f"{code.required_positional} to {code.max_positional}"
        ctx.report.error(
            "TG304",
            ctx.at("nodes", node.name, "input") if node.inputs else node.location,
            f"node '{node.name}': {code.function}() takes {takes} DataFrame argument(s) but is "
            f"wired to {wired}",
            f"adjust 'input:' or the function signature at {code.source}:{code.line}",
        )


def check_code_names(ctx: Context, pipeline: ResolvedPipeline, nodes, outputs) -> None:
    """Two definitions copied into one job cannot share a name (TG308). A name the job
    itself defines or imports is no clash: the job's name yields (plan's job_renames)."""
    owner: dict[str, tuple[str, str]] = {}  # name -> (source file, text) of its definition
    users = [(f"node '{w.node}'", nodes[w.node].code) for w in pipeline.order]
    users += [(f"output '{o}'", outputs[o].foreach_code) for o in pipeline.outputs]
    for user, code in users:
        if code is None:
            continue
        for block in code.blocks:
            previous = owner.get(block.name)
            # One file binding a name in several statements is that module's own code,
            # copied statement by statement; two files binding it differently clash.
            if previous and previous[0] != block.source and previous[1] != block.text:
                ctx.report.error(
                    "TG308",
                    Location(block.source, block.line, 1),
                    f"pipeline '{pipeline.spec.name}': two different definitions named "
                    f"'{block.name}' ({previous[0]} and {block.source})",
                    "rename one of them; both are copied into the same job",
                )
            owner[block.name] = (block.source, block.text)
        for ref in code.imports:
            if ref.bound in owner:
                ctx.report.error(
                    "TG308",
                    Location(code.source, code.line, 1),
                    f"{user}: the name '{ref.bound}' is imported from '{ref.target}' but "
                    "also defined elsewhere",
                    f"import it under another name: import {ref.target} as my_{ref.bound}",
                )
