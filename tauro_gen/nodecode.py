"""Find a node's function in the user's `src/` and collect the code it needs, by parsing only.

We never import user code at build time: importing runs it (and its imports, which may need a
cluster). Instead we read the module with `ast`, take the function's own source text, and follow
the module-level names it uses — helpers, constants, classes, imports — recursively, across local
project modules. Third-party and standard-library imports are hoisted as import statements; local
code is copied as source text, each marked with the file it came from.

Code is copied by statement, not by name: a name needs every module-level statement that binds
or changes it (both branches of an `if/else` or `try/except`, `X = X + [...]` and the earlier
`X = ...`, a `for` loop that fills a dict and the dict's definition), in file order, and those
statements' own free names, recursively. What cannot be copied faithfully is refused, located in
the .py file.
"""

from __future__ import annotations

import ast
import builtins
import copy
import dataclasses
import hashlib
import json
import symtable
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .diagnostics import Location, did_you_mean

BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class CodeBlock:
    """One module-level statement copied into the generated job."""

    source: str  # file it comes from, relative to the project root
    name: str  # the name it was copied for (one of the names it binds)
    text: str  # exact source text (black reformats the whole job later)
    line: int  # where it starts in its file, to keep the file's order in the job
    # Blocks (source, name) this one needs while the module is imported (constants, base
    # classes, decorators): those must come first in the job. Function bodies bind late.
    needs: tuple[tuple[str, str], ...] = ()
    binds: tuple[str, ...] = ()  # every module-level name the statement binds or changes
    start: int = 0  # the line `text` starts on (a decorator's), when not `line`


@dataclass(frozen=True, order=True)
class ImportRef:
    """One imported name: `import a.b as c` is ("a.b", None, "c"); `from a import b` is
    ("a", "b", None)."""

    module: str
    name: str | None = None
    asname: str | None = None

    @property
    def bound(self) -> str:
        if self.asname:
            return self.asname
        return self.name if self.name else self.module.split(".")[0]

    @property
    def target(self) -> str:
        """What the bound name refers to, so two spellings of one import compare equal."""
        if self.name:
            return f"{self.module}.{self.name}"
        return self.module if self.asname else self.module.split(".")[0]


@dataclass(frozen=True)
class NodeCode:
    function: str  # the function's name, as called from main()
    source: str
    line: int
    blocks: tuple[CodeBlock, ...]  # dependencies first, the function last
    imports: tuple[ImportRef, ...]  # imports hoisted to the top of the job
    required_positional: int  # positional parameters without a default
    max_positional: int | None  # None when the function takes *args
    keyword_names: frozenset[str]  # names that may be passed as keyword arguments
    takes_kwargs: bool  # has **kwargs
    positional_names: tuple[str, ...]  # in order: the first ones receive the DataFrames
    required_keyword_only: frozenset[str]  # keyword-only parameters without a default
    is_async: bool  # `async def`: calling it returns a coroutine, not a DataFrame
    # The parsed statement of each block: read by `summarize`, never parsed again.
    trees: tuple[ast.stmt, ...] = field(default=(), compare=False, repr=False)

    @property
    def operations(self) -> frozenset[str]:
        """The kinds of DataFrame operation the copied code performs (see OPERATIONS)."""
        return summarize(self).kinds


@dataclass(frozen=True)
class CopiedCode:
    """Definitions collected for a job: the blocks to copy, the imports they need, and the
    names they take from the job itself (imported from one of SourceIndex's job_modules)."""

    blocks: tuple[CodeBlock, ...]  # dependencies first
    imports: tuple[ImportRef, ...]
    job_names: tuple[str, ...]


@dataclass
class _Copy:
    """What one collection has gathered so far."""

    blocks: list[CodeBlock] = field(default_factory=list)
    trees: dict[CodeBlock, ast.stmt] = field(default_factory=dict)  # each block's statement
    imports: list[ImportRef] = field(default_factory=list)
    job_names: list[str] = field(default_factory=list)
    # (file, name, before line) -> keys of the blocks binding it; (file, line) -> block key
    seen: dict[tuple[Path, str, int | None], list[tuple[str, str]]] = field(default_factory=dict)
    statements: dict[tuple[Path, int], tuple[str, str]] = field(default_factory=dict)

    def result(self) -> CopiedCode:
        return CopiedCode(
            tuple(self.blocks),
            tuple(dict.fromkeys(self.imports)),
            tuple(dict.fromkeys(self.job_names)),
        )


@dataclass(frozen=True)
class CodeProblem:
    code: str
    location: Location
    message: str
    hint: str


class CodeError(Exception):
    def __init__(self, problem: CodeProblem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Module:
    dotted: str
    path: Path
    display: str
    text: str
    defs: dict[str, ast.stmt] = field(default_factory=dict)  # name -> its last binder
    # name -> every module-level statement (not a plain import) binding or changing it
    binders: dict[str, list[ast.stmt]] = field(default_factory=dict)
    imports: dict[str, tuple[ast.stmt, ast.alias]] = field(default_factory=dict)
    is_package: bool = False


class SourceIndex:
    """Parses and caches the project's local modules (each file is read once per build).

    `search_roots` are where dotted module names are looked up (a project: its root and
    src/; tauro-gen's runtime: the folder holding the package). Names imported from one of
    `job_modules` are the job's own: never copied, reported as `job_names` instead.
    """

    def __init__(
        self,
        root: Path,
        search_roots: Sequence[Path] | None = None,
        job_modules: Iterable[str] = (),
    ):
        self.root = Path(root)
        self.search_roots = (
            [Path(p) for p in search_roots] if search_roots else [self.root, self.root / "src"]
        )
        self.job_modules = frozenset(job_modules)
        self._modules: dict[Path, _Module] = {}
        self._collected: dict[tuple[Path, str], NodeCode] = {}
        self._files: dict[str, Path | None] = {}

    # -- locating modules ---------------------------------------------------------------
    def module_file(self, dotted: str) -> Path | None:
        if dotted not in self._files:  # many nodes share a module: look it up once
            self._files[dotted] = self._find_module_file(dotted)
        return self._files[dotted]

    def _find_module_file(self, dotted: str) -> Path | None:
        parts = dotted.split(".")
        for base in self.search_roots:
            candidate = base.joinpath(*parts)
            if candidate.with_suffix(".py").is_file():
                return candidate.with_suffix(".py")
            if (candidate / "__init__.py").is_file():
                return candidate / "__init__.py"
        return None

    def load(self, dotted: str, where: Location) -> _Module:
        path = self.module_file(dotted)
        if path is None:
            raise CodeError(
                CodeProblem("TG301", where, f"module '{dotted}' not found", "check the path")
            )
        if path in self._modules:
            return self._modules[path]
        display = (
            path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)
        )
        text = path.read_text(encoding="utf-8-sig")  # an editor's BOM is not code
        try:
            tree = ast.parse(text, filename=display)
        except SyntaxError as exc:
            raise CodeError(
                CodeProblem(
                    "TG302",
                    Location(display, exc.lineno or 0, exc.offset or 0),
                    f"syntax error in node code: {exc.msg}",
                    "fix the Python file; it must parse before it can be inlined",
                )
            ) from None
        module = _Module(dotted, path, display, text, is_package=path.name == "__init__.py")
        for stmt in tree.body:
            _index_statement(module, stmt)
        self._modules[path] = module
        return module

    def resolve_function(
        self, spec: str, module: str | None, where: Location
    ) -> tuple[_Module, str]:
        """`pkg.mod.func`, `src.nodes.process_sales` (module file named like its function), or
        Tauro's `module:` + `function:` pair."""
        if module:
            candidates = [(module, spec)]
        else:
            parts = spec.split(".")
            candidates = [(spec, parts[-1])]
            if len(parts) > 1:
                candidates.append((".".join(parts[:-1]), parts[-1]))
        tried = []
        for dotted, func in candidates:
            if self.module_file(dotted) is None:
                tried.append(dotted.replace(".", "/") + ".py")
                continue
            mod = self.load(dotted, where)
            node = mod.defs.get(func)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return mod, func
            if func in mod.imports:
                target_mod, target_name = self._follow_import(mod, func, where)
                if target_mod is not None:
                    return target_mod, target_name
            kind = _not_a_function(node, func)
            if kind:
                raise CodeError(
                    CodeProblem(
                        "TG303",
                        Location(mod.display, node.lineno, node.col_offset + 1),
                        f"'{func}' in {mod.display} is {kind}, not a function",
                        f"write the node as `def {func}(df, ...):` returning a DataFrame",
                    )
                )
            if (
                node is not None
                and not isinstance(node, ast.ClassDef)
                and func in _bound_names(node)
            ):
                raise CodeError(
                    CodeProblem(
                        "TG303",
                        Location(mod.display, node.lineno, node.col_offset + 1),
                        f"node function '{func}' is not a plain top-level 'def' of "
                        f"{mod.display}",
                        "define the node function with def at the top level of the module "
                        "(a helper may stay inside if/try: it is copied with the statement)",
                    )
                )
            functions = [n for n, d in mod.defs.items() if isinstance(d, ast.FunctionDef)]
            hint = did_you_mean(func, functions) or (
                "functions there: " + ", ".join(functions) if functions else "define it there"
            )
            raise CodeError(
                CodeProblem("TG303", where, f"function '{func}' not found in {mod.display}", hint)
            )
        raise CodeError(
            CodeProblem(
                "TG301",
                where,
                f"cannot find the code of '{spec}'",
                "looked for " + " and ".join(tried) + " under the project root and src/",
            )
        )

    def _follow_import(self, mod: _Module, name: str, where: Location):
        stmt, alias = mod.imports[name]
        if not isinstance(stmt, ast.ImportFrom):
            return None, None
        target = self._absolute(mod, stmt)
        if target and self.module_file(target):
            return self.load(target, where), alias.name
        return None, None

    def _absolute(self, mod: _Module, stmt: ast.ImportFrom) -> str | None:
        if not stmt.level:
            return stmt.module
        package = mod.dotted.split(".")
        if not mod.is_package:
            package = package[:-1]
        if stmt.level - 1 > len(package):
            return None
        base = package[: len(package) - (stmt.level - 1)]
        return ".".join(base + ([stmt.module] if stmt.module else []))

    def is_local(self, dotted: str | None) -> bool:
        return bool(dotted) and self.module_file(dotted) is not None

    # -- collecting code ----------------------------------------------------------------
    def collect(self, mod: _Module, func: str) -> NodeCode:
        """The function plus everything module-level it needs, dependencies first. Pipelines
        share node functions: each is collected once per build."""
        key = (mod.path, func)
        if key not in self._collected:
            self._collected[key] = self._collect(mod, func)
        return self._collected[key]

    def collect_definitions(self, dotted: str, names: Iterable[str]) -> CopiedCode:
        """Top-level definitions of module `dotted` (functions, classes, constants) with
        everything module-level they need, dependencies first."""
        mod = self.load(dotted, Location(dotted, 0, 0))
        copy = _Copy()
        for name in names:
            if name not in mod.defs:
                raise KeyError(f"{mod.display} defines no '{name}'")
            self._collect_name(mod, name, copy)
        return copy.result()

    def _collect(self, mod: _Module, func: str) -> NodeCode:
        copy = _Copy()
        self._collect_name(mod, func, copy)
        blocks, imports = copy.blocks, copy.imports
        node = mod.defs[func]
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        args = node.args
        positional = args.posonlyargs + args.args
        required = len(positional) - len(args.defaults)
        keyword_names = frozenset(a.arg for a in args.args + args.kwonlyargs)
        return NodeCode(
            function=func,
            source=mod.display,
            line=node.lineno,
            blocks=tuple(blocks),
            imports=tuple(dict.fromkeys(imports)),
            required_positional=required,
            max_positional=None if args.vararg else len(positional),
            keyword_names=keyword_names,
            takes_kwargs=args.kwarg is not None,
            positional_names=tuple(a.arg for a in positional),
            required_keyword_only=frozenset(
                a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None
            ),
            is_async=isinstance(node, ast.AsyncFunctionDef),
            trees=tuple(copy.trees[block] for block in blocks),
        )

    def _collect_name(
        self, mod: _Module, name: str, copy: _Copy, before: int | None = None
    ) -> list[tuple[str, str]]:
        """Collect every module-level statement of `mod` that binds or changes `name` (only
        those above line `before`, for a statement that reads it while the module is
        imported) with what they use; return the keys of the blocks they became (none for a
        third-party import, which becomes an import line instead)."""
        key = (mod.path, name, before)
        seen = copy.seen
        if key in seen:
            return seen[key]
        seen[key] = []
        check_star_imports(mod)
        found: list[tuple[str, str]] = []
        if name in mod.imports:
            imported = self._collect_import(mod, name, copy)
            found += [imported] if imported else []
        for stmt in mod.binders.get(name, ()):
            if before is None or stmt.lineno < before:
                found.append(self._collect_statement(mod, stmt, name, copy))
        seen[key] = found
        return found

    def _collect_statement(
        self, mod: _Module, stmt: ast.stmt, name: str, copy: _Copy
    ) -> tuple[str, str]:
        key = (mod.path, stmt.lineno)  # two module-level statements never start on one line
        if key in copy.statements:
            return copy.statements[key]
        copy.statements[key] = (mod.display, name)  # before following its names: recursion
        _reject_dynamic_code(mod, stmt)
        self._reject_project_imports_inside(mod, stmt)
        at_import = _import_time_names(stmt)
        needs = []
        for used in sorted(free_names(stmt)):
            if used in mod.binders or used in mod.imports:
                early = used in at_import
                dependencies = self._collect_name(
                    mod, used, copy, before=stmt.lineno if early else None
                )
                if early:
                    needs += dependencies
        text = ast.get_source_segment(mod.text, stmt, padded=False)
        start = stmt.lineno
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            text = _with_decorators(mod.text, stmt)
            start = min([d.lineno for d in stmt.decorator_list] + [stmt.lineno])
        block = CodeBlock(
            mod.display,
            name,
            text,
            stmt.lineno,
            tuple(dict.fromkeys(needs)),
            tuple(sorted(_changed_names(stmt))),
            start,
        )
        if block not in copy.blocks:
            copy.blocks.append(block)
            copy.trees[block] = stmt
        return copy.statements[key]

    def _reject_project_imports_inside(self, mod: _Module, stmt: ast.stmt) -> None:
        """An import of project code inside a module-level `if`/`try`/`with`...: a project
        module's names are copied into the job, not imported, so the statement around the
        import cannot be kept as it is."""
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return
        for node in _module_scope_nodes(stmt):
            if isinstance(node, ast.Import):
                local = [a.name for a in node.names if self.is_local(a.name)]
            elif isinstance(node, ast.ImportFrom):
                local = [node.module or "."] if node.level or self.is_local(node.module) else []
            else:
                continue
            if local:
                raise CodeError(
                    CodeProblem(
                        "TG311",
                        Location(mod.display, node.lineno, node.col_offset + 1),
                        f"project module '{local[0]}' imported inside a module-level "
                        f"'{type(stmt).__name__.lower()}' statement",
                        "import it at the top of the module; tauro-gen copies a project "
                        "module's code into the job and cannot keep the statement around it",
                    )
                )

    def _collect_import(self, mod, name, copy: _Copy) -> tuple[str, str] | None:
        stmt, alias = mod.imports[name]
        where = Location(mod.display, stmt.lineno, stmt.col_offset + 1)
        if isinstance(stmt, ast.Import):
            if self.is_local(alias.name):
                raise CodeError(
                    CodeProblem(
                        "TG305",
                        where,
                        f"'import {alias.name}' imports a whole project module",
                        f"import the names you use: from {alias.name} import <name>",
                    )
                )
            copy.imports.append(ImportRef(alias.name, None, alias.asname))
            return None
        target = self._absolute(mod, stmt)
        if target in self.job_modules:
            copy.job_names.append(alias.asname or alias.name)
            return None
        if stmt.level or self.is_local(target):
            if target is None or self.module_file(target) is None:
                raise CodeError(
                    CodeProblem("TG301", where, "relative import outside the project", "")
                )
            if self.is_local(f"{target}.{alias.name}"):
                raise CodeError(
                    CodeProblem(
                        "TG305",
                        where,
                        f"'{alias.name}' is a whole project module",
                        f"import the names you use: from {target}.{alias.name} import <name>",
                    )
                )
            source = self.load(target, where)
            if alias.name not in source.defs and alias.name not in source.imports:
                raise CodeError(
                    CodeProblem(
                        "TG303",
                        where,
                        f"'{alias.name}' is not defined in {source.display}",
                        did_you_mean(alias.name, source.defs) or "check the import",
                    )
                )
            defined = self._collect_name(source, alias.name, copy)
            if alias.asname and alias.asname != alias.name:
                block = CodeBlock(
                    mod.display,
                    alias.asname,
                    f"{alias.asname} = {alias.name}",
                    stmt.lineno,
                    tuple(defined),
                    (alias.asname,),
                )
                if block not in copy.blocks:
                    copy.blocks.append(block)
                    copy.trees[block] = ast.parse(block.text).body[0]
                return (mod.display, alias.asname)
            return defined[-1] if defined else None
        copy.imports.append(ImportRef(stmt.module, alias.name, alias.asname))
        return None


# -- what node code does: one summary ---------------------------------------------------------

# Method names that matter for streaming rules (output modes, watermarks, checkpoint safety),
# by the kind of operation they are. Parsing cannot know types, so this is a best-effort view
# of what the code does; it is used for warnings and the manifest, never to refuse valid code.
OPERATIONS = {
    "groupBy": "aggregation",
    "groupby": "aggregation",
    "agg": "aggregation",
    "rollup": "aggregation",
    "cube": "aggregation",
    "window": "window",
    "session_window": "window",
    "join": "join",
    "dropDuplicates": "deduplication",
    "drop_duplicates": "deduplication",
    "dropDuplicatesWithinWatermark": "deduplication",
    "withWatermark": "watermark",
    "applyInPandasWithState": "arbitrary_state",
    "transformWithStateInPandas": "arbitrary_state",
    "transformWithState": "arbitrary_state",
    "orderBy": "sort",
    "sort": "sort",
    "limit": "limit",
}
GROUPINGS = ("groupBy", "groupby", "rollup", "cube", "groupingSets")
# Methods of GroupedData that produce the aggregates of a groupBy.
GROUPED_AGGREGATES = ("agg", "count", "sum", "avg", "mean", "min", "max", "pivot")
JOIN_TYPES_DEFAULT = "inner"

# Operations that keep state across micro-batches in a streaming query: Spark's guide
# ("Changes in stateful operations") lists aggregations, deduplication, stream-stream joins
# and arbitrary state; a streaming `limit` is planned as StreamingGlobalLimitExec, a state
# store writer that keeps how many rows it has emitted, so it is stateful too. Whether a join
# joins two streams is the wiring's to say, not the code's.
STATEFUL_KINDS = frozenset({"aggregation", "deduplication", "join", "arbitrary_state", "limit"})
# Those whose shuffle spark.sql.shuffle.partitions sizes (and, stateful, the number of state
# stores frozen into the checkpoint). A global limit gathers its rows into one partition:
# the number of shuffle partitions does not size it.
SHUFFLE_KINDS = frozenset({"aggregation", "deduplication", "join", "arbitrary_state"})


@dataclass(frozen=True)
class Operation:
    """One DataFrame operation call in node code, with what defines its state, as the text of
    its arguments (node params and defaults stand for the function's parameters, local
    constants for their names)."""

    kind: str  # a value of OPERATIONS
    method: str  # the method called
    source: str  # where: the user's file and line
    line: int
    keys: str | None = None  # aggregations: the grouping keys
    aggregates: str | None = None
    join_type: str | None = None  # joins
    on: str | None = None
    arguments: str | None = None  # the others: dedup keys, watermark, window, limit
    # Names its arguments still read that the analysis could not replace by a value (a
    # parameter no param gives, a variable assigned more than once): the texts above are
    # then a guess, which a comparison with Spark's analyzed plan must treat as such.
    unresolved: tuple[str, ...] = ()

    @property
    def stateful(self) -> bool:
        """Keeps state in a streaming query (a join: if it joins two streams)."""
        return self.kind in STATEFUL_KINDS


@dataclass(frozen=True)
class CodeSummary:
    """What a node function and the code it uses do, read once from the parsed code: what
    validate, plan and the manifest (and so diff) know of it."""

    function: str
    operations: tuple[Operation, ...]  # the function's first, then its helpers', in order
    code_sha256: str  # every statement copied for it

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(op.kind for op in self.operations)

    @property
    def stateful(self) -> bool:
        return any(op.stateful for op in self.operations)

    @property
    def shuffles(self) -> bool:
        return bool(self.kinds & SHUFFLE_KINDS)


def summarize(code: NodeCode, params: dict | None = None) -> CodeSummary:
    """The summary of `code` called with `params` (literal values stand for parameters)."""
    return _summarize(code, json.dumps(params or {}, sort_keys=True, default=str))


@lru_cache(maxsize=4096)
def _summarize(code: NodeCode, params_json: str) -> CodeSummary:
    params = json.loads(params_json)
    statements: dict[str, list[tuple[CodeBlock, ast.stmt]]] = {}
    for block, stmt in zip(code.blocks, code.trees):
        for name in block.binds or (block.name,):
            statements.setdefault(name, []).append((block, stmt))
    operations: list[Operation] = []
    seen_texts: set[str] = set()
    for name in _reachable(code.function, statements):
        for block, stmt in statements[name]:
            if block.text in seen_texts:
                continue
            seen_texts.add(block.text)
            tree = ast.Module(body=[stmt], type_ignores=[])
            bound = _parameters(tree, name, params) if name == code.function else {}
            operations += _calls(tree, block.source, bound)
    texts = sorted({block.text for block in code.blocks})
    digest = hashlib.sha256("\n\n".join(texts).encode()).hexdigest()[:16]
    return CodeSummary(code.function, tuple(operations), digest)


def _reachable(name: str, statements: dict[str, list]) -> list[str]:
    """`name` and every copied name its code refers to, transitively, in a stable order."""
    order: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop(0)
        if current in order or current not in statements:
            continue
        order.append(current)
        used = set()
        for _, stmt in statements[current]:
            used |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        todo += [u for u in sorted(used & set(statements)) if u not in order]
    return order


def _index_statement(module: _Module, stmt: ast.stmt) -> None:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            module.imports[alias.asname or alias.name.split(".")[0]] = (stmt, alias)
        return
    if isinstance(stmt, ast.ImportFrom):
        for alias in stmt.names:
            if alias.name == "*":
                module.imports.setdefault("*", (stmt, alias))
            else:
                module.imports[alias.asname or alias.name] = (stmt, alias)
        return
    for name in _changed_names(stmt):
        module.binders.setdefault(name, []).append(stmt)
    for name in _bound_names(stmt):
        module.defs[name] = stmt


def _module_scope_nodes(stmt: ast.stmt):
    """The nodes of a module-level statement that run in the module's own scope: not the
    bodies of the functions, classes, lambdas and comprehensions inside it."""
    todo = [stmt]
    while todo:
        node = todo.pop()
        yield node
        if node is not stmt and isinstance(
            node,
            (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
            + (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp),
        ):
            continue
        if node is stmt and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        todo.extend(reversed(list(ast.iter_child_nodes(node))))


def _bound_names(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds in the module's scope (in any branch)."""
    names: set[str] = set()
    for node in _module_scope_nodes(stmt):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    names.discard("*")
    return names


# Methods that change the object they are called on: `COLUMNS.append("x")` at module level
# is part of what COLUMNS is when a node runs.
_MUTATORS = frozenset(
    "append extend insert update setdefault add remove discard pop clear sort".split()
)


def _changed_names(stmt: ast.stmt) -> set[str]:
    """Names a module-level statement binds, or changes in place (`TABLE[key] = value`,
    `CONFIG.x = 1`, `COLUMNS.append(...)`, `del TABLE[key]`)."""
    names = _bound_names(stmt)
    for node in _module_scope_nodes(stmt):
        target = None
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(
            node.ctx, (ast.Store, ast.Del)
        ):
            target = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
        ):
            target = node.func.value
        while isinstance(target, (ast.Subscript, ast.Attribute)):
            target = target.value
        if isinstance(target, ast.Name):
            names.add(target.id)
    return names


def module_bindings(tree: ast.Module) -> set[str]:
    """Names a module's top-level statements bind: definitions, assignments, imports
    (`from __future__` imports are compiler directives, not names)."""
    module = _Module("", Path(), "", "")
    for stmt in tree.body:
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            _index_statement(module, stmt)
    return set(module.defs) | {name for name in module.imports if name != "*"}


def _with_decorators(text: str, stmt: ast.stmt) -> str:
    lines = text.splitlines()
    first = min([d.lineno for d in stmt.decorator_list] + [stmt.lineno])
    body = lines[first - 1 : stmt.end_lineno]
    indent = len(body[0]) - len(body[0].lstrip())
    return "\n".join(line[indent:] for line in body)


def _import_time_names(stmt: ast.stmt) -> set[str]:
    """Names evaluated when the module is imported, as opposed to when a function runs."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts = [*stmt.decorator_list, *stmt.args.defaults]
        parts += [d for d in stmt.args.kw_defaults if d is not None]
        return {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}
    if isinstance(stmt, ast.ClassDef):
        # The class statement runs its decorators, bases and body, but not its methods'
        # bodies: a method may call a helper defined further down the module.
        parts = [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]
        names = {n.id for part in parts for n in ast.walk(part) if isinstance(n, ast.Name)}
        for inner in stmt.body:
            names |= _import_time_names(inner)
        return names
    return free_names(stmt)  # assignments, if/try/for... run at import


def free_names(stmt: ast.stmt) -> set[str]:
    """Names a statement reads from the module's scope (or the builtins it does not shadow):
    the compiler's own scoping (symtable), so a nested function's local, a comprehension's
    variable or a parameter never hides a module-level name it does not bind. A name a
    module-level statement both reads and binds (`X = X + [...]`) is read."""
    return set(_free_names(ast.unparse(stmt))) - BUILTINS


@lru_cache(maxsize=8192)
def _free_names(text: str) -> frozenset[str]:
    found: set[str] = set()
    todo = [(symtable.symtable(text, "<copied code>", "exec"), True)]
    while todo:
        table, module_scope = todo.pop()
        for symbol in table.get_symbols():
            if symbol.is_referenced() and (module_scope or symbol.is_global()):
                found.add(symbol.get_name())
        todo += [(child, False) for child in table.get_children()]
    return frozenset(found)


def _reject_dynamic_code(mod: _Module, stmt: ast.stmt) -> None:
    """Code whose dependencies cannot be seen by parsing cannot be inlined faithfully."""
    for node in ast.walk(stmt):
        where = Location(
            mod.display, getattr(node, "lineno", 0), getattr(node, "col_offset", 0) + 1
        )
        if isinstance(node, ast.Name) and node.id == "__file__":
            raise CodeError(
                CodeProblem(
                    "TG306",
                    where,
                    "node code uses __file__, which means nothing once the code is inlined",
                    "pass the path through the node's params instead",
                )
            )
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in ("__import__", "import_module"):
                raise CodeError(
                    CodeProblem(
                        "TG306",
                        where,
                        f"node code imports dynamically ({called})",
                        "use a plain import statement so tauro-gen can see what to copy",
                    )
                )
    for node in ast.walk(stmt):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            raise CodeError(
                CodeProblem(
                    "TG307",
                    Location(mod.display, node.lineno, node.col_offset + 1),
                    "star import in node code",
                    "import the names you use explicitly",
                )
            )


def check_star_imports(mod: _Module) -> None:
    """A module-level `from x import *` hides which names the node uses."""
    if "*" in mod.imports:
        stmt, _ = mod.imports["*"]
        raise CodeError(
            CodeProblem(
                "TG307",
                Location(mod.display, stmt.lineno, stmt.col_offset + 1),
                "star import in a node module",
                "import the names you use explicitly, so they can be copied into the job",
            )
        )


def _parameters(tree: ast.AST, name: str, params: dict[str, Any]) -> dict[str, ast.expr]:
    """Parameter name -> value expression for the function `name` called with `params`."""
    for func in getattr(tree, "body", []):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.name == name:
            break
    else:
        return {}
    values: dict[str, ast.expr] = {}
    positional = [*func.args.posonlyargs, *func.args.args]
    defaults = dict(
        zip([a.arg for a in positional[-len(func.args.defaults) :]], func.args.defaults)
    )
    if not func.args.defaults:
        defaults = {}
    defaults.update(
        {a.arg: d for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults) if d is not None}
    )
    for arg in [*positional, *func.args.kwonlyargs]:
        if arg.arg in params and _literal(params[arg.arg]):
            values[arg.arg] = ast.Constant(params[arg.arg])
        elif arg.arg in defaults and arg.arg not in params:
            values[arg.arg] = defaults[arg.arg]
    return values


def _literal(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _arguments(call: ast.Call, names: dict[str, ast.expr] | None = None) -> str:
    """The call's arguments as canonical text, local variables replaced by their value
    (`keys = ["a"]; df.groupBy(*keys)` reads `*['a']`), so a changed value shows."""

    parts = [_text(a, names) for a in call.args]
    parts += [
        (f"{k.arg}={_text(k.value, names)}" if k.arg else f"**{_text(k.value, names)}")
        for k in call.keywords
    ]
    return ", ".join(parts)


def _text(node: ast.expr, names: dict[str, ast.expr] | None) -> str:
    return ast.unparse(_Inline(names or {}).visit(copy.deepcopy(node)))


class _Inline(ast.NodeTransformer):
    """Replace names assigned once in the block by their value (a few levels deep)."""

    def __init__(self, names: dict[str, ast.expr], depth: int = 0):
        self.names = names
        self.depth = depth

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self.names.get(node.id)
        if value is None or self.depth >= 3 or not isinstance(node.ctx, ast.Load):
            return node
        return _Inline(self.names, self.depth + 1).visit(copy.deepcopy(value))


def _single_assignments(tree: ast.AST) -> dict[str, ast.expr]:
    """Local names assigned exactly once, to one plain name, in a function of the block."""
    seen: Counter = Counter()
    values: dict[str, ast.expr] = {}
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.With, ast.NamedExpr)):
                targets = [getattr(node, "target", None)]
            for target in targets:
                for name in ast.walk(target) if target is not None else ():
                    if isinstance(name, ast.Name):
                        seen[name.id] += 1
                        if (
                            isinstance(node, ast.Assign)
                            and target is name
                            and len(node.targets) == 1
                        ):
                            values[name.id] = node.value
            if isinstance(node, ast.arguments):
                for arg in [*node.posonlyargs, *node.args, *node.kwonlyargs]:
                    seen[arg.arg] += 2  # a parameter is not a constant
    return {name: value for name, value in values.items() if seen[name] == 1}


def _calls(
    tree: ast.AST, source: str, parameters: dict[str, ast.expr] | None = None
) -> list[Operation]:
    """The operator calls of one block in source order, with what defines their state."""
    names = {**_single_assignments(tree), **(parameters or {})}
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    local = _function_locals(tree)
    found: list[tuple[int, int, Operation]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        kind = OPERATIONS.get(method)
        if kind == "join" and _joins_text(node.func.value):
            continue  # `", ".join(names)`, `os.path.join(a, b)`: not a DataFrame join
        detail: tuple[tuple[str, str], ...] = ()
        if method in GROUPINGS:
            kind = "aggregation"
            aggregates = []
            current: ast.AST = node
            # df.groupBy(keys).agg(...): the call on the grouped data is the aggregate.
            while True:
                attribute = parents.get(current)
                outer = parents.get(attribute) if isinstance(attribute, ast.Attribute) else None
                if not (isinstance(outer, ast.Call) and outer.func is attribute):
                    break
                if attribute.attr not in GROUPED_AGGREGATES:
                    break
                aggregates.append(f"{attribute.attr}({_arguments(outer, names)})")
                current = outer
            detail = (
                ("keys", _arguments(node, names)),
                ("aggregates", ".".join(aggregates)),
            )
        elif method in GROUPED_AGGREGATES:
            receiver = node.func.value
            chained = (
                isinstance(receiver, ast.Call)
                and isinstance(receiver.func, ast.Attribute)
                and receiver.func.attr in (*GROUPINGS, *GROUPED_AGGREGATES)
            )
            if chained:
                continue  # part of a groupBy chain, described there
            if method != "agg":
                continue  # df.count() / F.max() are not streaming aggregations
            kind = "aggregation"
            detail = (("keys", ""), ("aggregates", f"agg({_arguments(node, names)})"))
        elif kind == "join":
            how = JOIN_TYPES_DEFAULT
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            how_node = keywords.get("how") or (node.args[2] if len(node.args) > 2 else None)
            if isinstance(how_node, ast.Name) and how_node.id in names:
                how_node = names[how_node.id]
            if how_node is not None:
                how = (
                    how_node.value
                    if isinstance(how_node, ast.Constant) and isinstance(how_node.value, str)
                    else _text(how_node, names)
                )
            on_node = keywords.get("on") or (node.args[1] if len(node.args) > 1 else None)
            detail = (
                ("join_type", str(how)),
                ("on", _text(on_node, names) if on_node is not None else ""),
            )
        elif kind is not None:
            detail = (("arguments", _arguments(node, names)),)
        if kind is None:
            continue
        unresolved = sorted(_names_left(node, names) & local)
        operation = Operation(kind, method, source, node.lineno, **dict(detail))
        if unresolved:
            operation = dataclasses.replace(operation, unresolved=tuple(unresolved))
        found.append((node.lineno, node.col_offset, operation))
    return [call for _, _, call in sorted(found, key=lambda item: (item[0], item[1]))]


def _joins_text(receiver: ast.expr) -> bool:
    """The receiver of a `.join(...)` that is a string or a path module, not a DataFrame."""
    if isinstance(receiver, (ast.Constant, ast.JoinedStr)):
        return True
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return name in ("path", "posixpath", "ntpath", "os")


def _function_locals(tree: ast.AST) -> set[str]:
    """Parameters and variables of the functions in a block."""
    found: set[str] = set()
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = func.args
            found |= {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            found |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
            for node in ast.walk(func):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    found.add(node.id)
    return found


def _names_left(call: ast.Call, names: dict[str, ast.expr]) -> set[str]:
    """The names a call's arguments still read once known values stand in for them."""
    inline = _Inline(names)
    left: set[str] = set()
    for part in [*call.args, *(k.value for k in call.keywords)]:
        tree = inline.visit(copy.deepcopy(part))
        left |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return left


def _not_a_function(node: ast.AST | None, name: str) -> str | None:
    """What a `function:` names when it is a class or a lambda (copying it would give a
    job that calls something else than a node function)."""
    if isinstance(node, ast.ClassDef):
        return "a class"
    if (
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Lambda)
        and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    ):
        return "a lambda"
    return None
