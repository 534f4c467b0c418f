"""Rename module-level names in Python source text, exactly where Python would look them up.

A generated job's own names yield to the user's (plan decides the new names): the template's
layout and the runtime pieces are rewritten with `rename_globals`, which changes a name only
where it refers to the module-level binding — its `def`/`class`, assignments and uses at
module level, and uses inside functions and classes that do not bind it themselves — and
never an attribute (`spark.stop`), a keyword argument (`f(log=1)`), a parameter or a local
that shadows it, or text in strings and comments. Everything else in the text stays byte for
byte as it was.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping

_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
_Definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class RenameError(ValueError):
    """A binding the rename cannot rewrite faithfully (a bug in tauro-gen's own code)."""


def rename_globals(source: str, renames: Mapping[str, str]) -> str:
    """`source` with each module-level name in `renames` renamed to its value."""
    if not renames or not set(renames) & set(re.findall(r"\w+", source)):
        return source
    tree = ast.parse(source)
    edits: list[tuple[int, int, int, str]] = []  # (line, start, end, text), byte columns
    _Renamer(dict(renames), edits, source.splitlines(keepends=True)).module(tree)
    return _apply(source, edits)


class _Renamer:
    def __init__(self, renames: dict[str, str], edits: list, lines: list[str]):
        self.renames = renames
        self.edits = edits
        self.lines = lines

    def module(self, tree: ast.Module) -> None:
        for stmt in tree.body:
            self.statement(stmt, shadowed=frozenset(), at_module=True)

    # -- statements and expressions, with the names that shadow the module's here --------

    def statement(
        self,
        node: ast.AST,
        shadowed: frozenset[str],
        at_module: bool,
        enclosing: frozenset[str] | None = None,
    ) -> None:
        """`shadowed`: the names bound in the scope the statement is in; `enclosing`, for a
        method, what its body sees instead (a class body's names are not seen there)."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:
                self.visit(decorator, shadowed)
            if isinstance(node, ast.ClassDef):
                for base in (*node.bases, *(k.value for k in node.keywords)):
                    self.visit(base, shadowed)
            else:
                self.arguments_outside(node.args, shadowed)
                if node.returns is not None:
                    self.visit(node.returns, shadowed)
            if at_module and node.name in self.renames:
                self.rename_definition(node)
            elif node.name in self.renames and node.name not in shadowed:
                raise RenameError(f"'{node.name}' is bound in a nested scope too")
            outer = shadowed if enclosing is None else enclosing
            inner = self.inner_shadowed(node, outer)
            for stmt in node.body:
                if isinstance(node, ast.ClassDef) and isinstance(stmt, _Definition):
                    self.statement(stmt, inner, at_module=False, enclosing=outer)
                else:
                    self.statement(stmt, inner, at_module=False)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if bound in self.renames and bound not in shadowed:
                    self.rename_alias(alias, bound)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            if set(node.names) & set(self.renames):
                raise RenameError("global/nonlocal of a renamed name")
            return
        self.visit(node, shadowed)

    def visit(self, node: ast.AST, shadowed: frozenset[str]) -> None:
        if isinstance(node, ast.Name):
            if node.id in self.renames and node.id not in shadowed:
                if self.renames[node.id] in shadowed:
                    raise RenameError(
                        f"'{self.renames[node.id]}' is a local where '{node.id}' is used"
                    )
                self.edits.append(
                    (node.lineno, node.col_offset, node.end_col_offset, self.renames[node.id])
                )
            return
        if isinstance(node, ast.Lambda):
            self.arguments_outside(node.args, shadowed)
            self.visit(node.body, shadowed | _argument_names(node.args))
            return
        if isinstance(node, _COMPREHENSIONS):
            self.comprehension(node, shadowed)
            return
        if isinstance(node, (ast.stmt, ast.excepthandler, ast.match_case)) and not isinstance(
            node, ast.Expr
        ):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                    self.statement(child, shadowed, at_module=False)
                else:
                    self.visit(child, shadowed)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, shadowed)

    def comprehension(self, node: ast.AST, shadowed: frozenset[str]) -> None:
        generators = node.generators
        # The first iterable is evaluated in the enclosing scope; the rest see the targets.
        self.visit(generators[0].iter, shadowed)
        inner = shadowed | {n for g in generators for n in _target_names(g.target)}
        for index, generator in enumerate(generators):
            if index:
                self.visit(generator.iter, inner)
            for condition in generator.ifs:
                self.visit(condition, inner)
        parts = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
        for part in parts:
            self.visit(part, inner)

    def arguments_outside(self, args: ast.arguments, shadowed: frozenset[str]) -> None:
        """Defaults and annotations are evaluated where the function is defined."""
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default, shadowed)
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation, shadowed)

    def inner_shadowed(self, node: _Scope, shadowed: frozenset[str]) -> frozenset[str]:
        """What shadows the module's names in the body of `node`: its parameters and the
        names it binds (a class body's names are not seen by its methods, but a name bound
        in a class body is local to it)."""
        local = _bound_names(node.body)
        if not isinstance(node, ast.ClassDef):
            local |= _argument_names(node.args)
            local -= _declared_global(node.body)
        return shadowed | local

    # -- edits ---------------------------------------------------------------------------

    def rename_definition(self, node: ast.AST) -> None:
        line = self.lines[node.lineno - 1].encode()
        keyword = b"class" if isinstance(node, ast.ClassDef) else b"def"
        match = re.compile(rb"(?:async\s+)?" + keyword + rb"\s+(" + node.name.encode() + rb")\b")
        found = match.search(line, node.col_offset)
        if found is None:
            raise RenameError(f"cannot find the name of '{node.name}' on its line")
        self.edits.append((node.lineno, found.start(1), found.end(1), self.renames[node.name]))

    def rename_alias(self, alias: ast.alias, bound: str) -> None:
        new = self.renames[bound]
        if alias.asname:
            line = self.lines[alias.lineno - 1].encode()
            segment = line[alias.col_offset : alias.end_col_offset]
            start = alias.col_offset + segment.rindex(alias.asname.encode())
            self.edits.append((alias.lineno, start, alias.end_col_offset, new))
        elif "." in alias.name:
            raise RenameError(f"'import {alias.name}' binds '{bound}'; import it with 'as'")
        else:
            self.edits.append(
                (alias.end_lineno, alias.end_col_offset, alias.end_col_offset, f" as {new}")
            )


def _argument_names(args: ast.arguments) -> set[str]:
    every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
    return {arg.arg for arg in every if arg is not None}


def _target_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _bound_names(body: Iterable[ast.stmt]) -> set[str]:
    """Names a scope's own statements bind (not those of nested functions or classes, whose
    own names are bound here though)."""
    found: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, _Definition):
            found.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            found.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            found.add(node.rest)
        elif isinstance(node, ast.NamedExpr):
            found |= _target_names(node.target)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _declared_global(body: Iterable[ast.stmt]) -> set[str]:
    found: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Global):
                found |= set(node.names)
    return found


def _apply(source: str, edits: list[tuple[int, int, int, str]]) -> str:
    lines = [line.encode() for line in source.splitlines(keepends=True)]
    for lineno, start, end, text in sorted(set(edits), reverse=True):
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:start] + text.encode() + line[end:]
    return b"".join(lines).decode()


def free_locals(source: str, stand_ins: Mapping[str, str], avoid: Iterable[str]) -> str:
    """`source` with each local of a module-level function renamed where it would capture a
    stand-in's real name (`stand_ins`: stand-in -> the real global name it becomes): a
    function that calls the user's `writer` cannot keep a local `writer`. The new local is
    the first of `name_`, `name_2`, ... not in `avoid` nor in the function.

    For the job's own generated functions, which bind their locals plainly (parameters and
    assignments; no global statements)."""
    tree = ast.parse(source)
    edits: list[tuple[int, int, int, str]] = []
    taken = set(avoid) | set(stand_ins.values())
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        captured = {stand_ins[n] for n in used if n in stand_ins}
        captured &= _bound_names(node.body) | _argument_names(node.args)
        every = used | _argument_names(node.args)
        for old in sorted(captured):
            new, n = f"{old}_", 2
            while new in taken or new in every:
                new, n = f"{old}_{n}", n + 1
            every.add(new)
            for item in ast.walk(node):
                if isinstance(item, ast.Name) and item.id == old:
                    edits.append((item.lineno, item.col_offset, item.end_col_offset, new))
                elif isinstance(item, ast.arg) and item.arg == old:
                    end = item.col_offset + len(old.encode())
                    edits.append((item.lineno, item.col_offset, end, new))
    return _apply(source, edits) if edits else source
