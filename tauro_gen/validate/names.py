"""Names from config that become names in the job: entry names (file names, query names and,
through the namer, identifiers: TG212) and `params` keys (keyword arguments of a node call,
written as code: TG220). What is a plain name or an identifier is said once, in
`tauro_gen.identifiers`."""

from __future__ import annotations

import re

from ..diagnostics import Location
from ..identifiers import identifier_problem, is_plain_name, nfkc
from ..model import NodeSpec
from .context import SECTION_OF, Context

MAX_NAME = 100


def check_names(ctx: Context) -> None:
    """Names become file names, query names and Python identifiers: keep them plain, and
    two names of one kind apart after Unicode normalisation (TG212)."""
    for kind, section in SECTION_OF.items():
        seen: dict[str, str] = {}
        for name in ctx.raw.sections[section]:
            name = str(name)
            _check_name(ctx, kind, name, ctx.at(section, name))
            # Pipelines name files, which macOS and Windows compare without case.
            same = nfkc(name).casefold() if kind == "pipeline" else nfkc(name)
            other = seen.setdefault(same, name)
            if other != name:
                _report_confusable(ctx, kind, section, other, name)


def _report_confusable(ctx: Context, kind: str, section: str, first: str, second: str) -> None:
    if nfkc(first) == nfkc(second):
        what = "are the same name after Unicode normalisation (NFKC), as Python reads names"
        why = "the job could not tell them apart; rename one"
    else:
        what = "differ only in case"
        why = "their jobs build/<name>.py would be one file on macOS and Windows; rename one"
    ctx.report.error(
        "TG212",
        ctx.at(section, second),
        f"{kind} names {first!r} and {second!r} {what}",
        why,
    )


def _check_name(ctx: Context, kind: str, name: str, where: Location) -> None:
    problem = None
    if not name.strip():
        problem = "is empty"
    elif len(name) > MAX_NAME:
        problem = f"is longer than {MAX_NAME} characters"
    elif not is_plain_name(name):
        bad = sorted({c for c in name if not (c.isalnum() or c in "_.-")})
        shown = ", ".join(repr(c) for c in bad[:5])
        problem = f"contains {shown}" if bad else "must start with a letter, digit or '_'"
    if problem:
        ctx.report.error(
            "TG212",
            where,
            f"{kind} name {name!r} {problem}",
            f"use letters, digits, '_', '-' and '.', e.g. '{_safe_name(name)[:MAX_NAME]}'"
            f" (the name becomes a file name and a Python identifier)",
        )


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name).strip("_.-") or "my_name"


def bad_param_keys(node: NodeSpec) -> set[str]:
    """The `params` keys of a node that cannot be keyword arguments (reported as TG220)."""
    return {str(key) for key in node.params if identifier_problem(str(key))}


def check_param_keys(ctx: Context, nodes: dict[str, NodeSpec]) -> None:
    """A `params` key is written into the job as a keyword argument of the node's call:
    it must be exactly an identifier, not a keyword (TG220)."""
    for node in nodes.values():
        for key in node.params:
            text = str(key)
            problem = identifier_problem(text)
            if problem is None:
                continue
            fixed = nfkc(text) if nfkc(text) != text else re.sub(r"\W+", "_", nfkc(text))
            fixed = fixed.strip("_") or "value"
            if fixed[0].isdigit():
                fixed = f"p{fixed}"
            ctx.report.error(
                "TG220",
                ctx.at("nodes", node.name, "params", key),
                f"node '{node.name}': params key {text!r} {problem}; it is passed as a "
                "keyword argument",
                (
                    f"name it like the function's parameter, e.g. '{fixed}'"
                    if identifier_problem(fixed) is None
                    else "name it like the function's parameter (letters, digits, '_')"
                ),
            )
