"""Stage 1 — load: find a project's config files, parse them keeping every line number, apply
the environment overlay and build-time interpolation, and hand over plain dicts plus a map of
where each value was written.

Nothing here knows what a valid input or output looks like; that is `validate`'s job. Problems
found here are the ones only the loader can see: unreadable files, YAML syntax, duplicate keys,
an entry defined twice, and `${...}` references that resolve to nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Location, Report, did_you_mean, line_column
from .identifiers import is_plain_name

SECTIONS = ("pipelines", "nodes", "inputs", "outputs")

# Accepted file names per section, in the order they are read (SPEC 1.1).
FILE_NAMES = {
    "pipelines": ("pipelines", "pipeline"),
    "nodes": ("nodes", "node"),
    "inputs": ("inputs", "input"),
    "outputs": ("outputs", "output"),
    "global_settings": ("global_settings", "global", "settings"),
}
EXTENSIONS = (".yaml", ".yml", ".json")
DESCRIPTOR_NAMES = ("settings_yml.json", "settings_json.json")
DESCRIPTOR_KEYS = {
    "global_settings_path": "global_settings",
    "pipelines_config_path": "pipelines",
    "nodes_config_path": "nodes",
    "input_config_path": "inputs",
    "output_config_path": "outputs",
}

# ${name} or ${env:NAME} / ${env:NAME:-default}; `$${` escapes a literal `${`.
REFERENCE = re.compile(r"(?<!\$)\$\{([^}]*)\}")
ENV_REFERENCE = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)(:-.*)?$")


Path_ = tuple  # a key path such as ("inputs", "sales_stream", "options", "header")


@dataclass
class RawProject:
    """The merged, interpolated configuration of one environment, still untyped."""

    root: Path
    env: str
    sections: dict[str, dict[str, Any]]
    global_settings: dict[str, Any]
    key_locs: dict[Path_, Location] = field(default_factory=dict)
    value_locs: dict[Path_, Location] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    section_files: dict[str, str] = field(default_factory=dict)
    # Sections with a file that could not be read (syntax, shape): names they would have
    # defined are unknown, so references to them are not reported a second time.
    broken: set[str] = field(default_factory=set)

    def where(self, path: Path_, value: bool = False) -> Location:
        """Location of a key (or of its value), falling back to the closest enclosing entry."""
        table = self.value_locs if value else self.key_locs
        for cut in range(len(path), 0, -1):
            loc = table.get(path[:cut]) or self.key_locs.get(path[:cut])
            if loc:
                return loc
        return Location(self.section_files.get(path[0], "config") if path else "config")


class _Tree:
    """A parsed YAML document: plain data plus key/value locations by key path."""

    def __init__(self, data: Any, key_locs: dict, value_locs: dict):
        self.data = data
        self.key_locs = key_locs
        self.value_locs = value_locs
        self._under: dict[int, dict[tuple, list]] = {}

    def locations_under(self, prefix: tuple) -> list[tuple[dict, tuple, Location]]:
        """(table, path, location) of every key and value inside `prefix`. Indexed by prefix
        length on first use: a file of N entries is scanned once, not N times."""
        n = len(prefix)
        if n not in self._under:
            index: dict[tuple, list] = {}
            for table in (self.key_locs, self.value_locs):
                for path, loc in table.items():
                    if len(path) >= n:
                        index.setdefault(path[:n], []).append((table, path, loc))
            self._under[n] = index
        return self._under[n].get(prefix, [])


def _loc(display: str, mark: yaml.Mark) -> Location:
    return Location(display, mark.line + 1, mark.column + 1)


# libyaml reads a big project ~10x faster; its error messages are terser than PyYAML's, so a
# file it refuses is read again by the pure-Python parser for the message users see.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _unreadable(path: Path, exc: OSError) -> str:
    if path.is_dir():
        return "it is a directory"
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "a symlink loop"
        except OSError:
            return f"a symlink to {os.readlink(path)}, which does not exist"
    return exc.strerror or str(exc)


def _is_empty_document(node: yaml.Node) -> bool:
    """A file of only `---` (or `~`) holds one null document: as empty as an empty file."""
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _parse(path: Path, display: str, report: Report) -> _Tree | None:
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as exc:
        report.error(
            "TG100",
            Location(display, 1, 1),
            f"cannot read file: {_unreadable(path, exc)}",
            "make it a readable YAML file (or remove it)",
        )
        return None
    except UnicodeDecodeError as exc:
        line, column = line_column(data, exc.start)
        report.error(
            "TG100",
            Location(display, line, column),
            f"cannot read file: byte 0x{data[exc.start]:02x} is not UTF-8 text",
            "save the file as UTF-8 (an editor's 'encoding' setting), or write the character"
            " again",
        )
        return None
    try:
        node = _compose(text)
    except RecursionError:
        report.error(
            "TG100",
            Location(display, 1, 1),
            "YAML nesting is too deep to read",
            "flatten the structure; configs need only a few levels",
        )
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(display, mark) if mark else Location(display, 1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            problem += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        report.error("TG100", loc, f"YAML syntax error: {problem}", _yaml_hint(problem))
        return None
    except yaml.YAMLError as exc:  # e.g. a reader error: a control character in the text
        mark = getattr(exc, "problem_mark", None)
        where = Location(display, 1, 1)
        if mark:
            where = _loc(display, mark)
        elif isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.position, int):
            where = Location(display, *line_column(text, exc.position))
        report.error(
            "TG100",
            where,
            f"YAML syntax error: {exc}".splitlines()[0],
            "remove control characters; save the file as UTF-8 text",
        )
        return None
    key_locs: dict = {}
    value_locs: dict = {}
    if node is None or _is_empty_document(node):
        return _Tree({}, key_locs, value_locs)
    budget = _Budget(display, report)
    data = _construct(node, (), display, key_locs, value_locs, report, budget)
    if budget.fatal:
        return None
    return _Tree(data, key_locs, value_locs)


SEQ_TAG = "tag:yaml.org,2002:seq"


def _yaml_hint(problem: str) -> str:
    if "\\t" in problem or "\t" in problem:
        return "indent with spaces: YAML does not allow tabs for indentation"
    if "quoted scalar" in problem or "found unexpected end of stream" in problem:
        return "close the quote that opens the value"
    if "mapping values are not allowed" in problem:
        return "quote a value that contains ': ', or put the key on its own line"
    return "check the indentation and quoting on this line and the lines above it"


class _Budget:
    """Guards against YAML aliases that expand without end (a recursive alias, or an alias
    "bomb" that doubles at every level): both would hang or crash a naive reader. Only the
    values an alias repeats count: a large file written out in full is read whatever its
    size."""

    LIMIT = 100_000

    def __init__(self, display: str, report: Report):
        self.display = display
        self.report = report
        self.count = 0
        self.visited: set[int] = set()
        self.active: set[int] = set()
        self.exhausted = False
        self.fatal = False  # the file cannot be read faithfully: none of it is used

    def enter(self, node, where: Location | None = None) -> bool:
        if id(node) in self.visited:
            self.count += 1  # a value reached again, through an alias
        else:
            self.visited.add(id(node))
        if self.count > self.LIMIT:
            self.fatal = True
            if not self.exhausted:
                self.report.error(
                    "TG101",
                    _loc(self.display, node.start_mark),
                    "YAML aliases expand to more than 100000 values",
                    "write the values out instead of nesting aliases (*name)",
                )
            self.exhausted = True
            return False
        if id(node) in self.active:
            self.fatal = True
            self.report.error(
                "TG101",
                where or _loc(self.display, node.start_mark),
                "a YAML alias refers to the mapping or list that contains it",
                "remove the recursive alias (*name)",
            )
            return False
        return True


def _construct(node, path, display, key_locs, value_locs, report, budget=None) -> Any:
    budget = budget or _Budget(display, report)
    if not budget.enter(node, key_locs.get(path)):
        return None
    if path not in value_locs:
        value_locs[path] = _loc(display, node.start_mark)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        plain = "tag:yaml.org,2002:map" if isinstance(node, yaml.MappingNode) else SEQ_TAG
        if node.tag != plain:
            budget.fatal = True
            report.error(
                "TG100",
                _loc(display, node.start_mark),
                f"cannot read this value: unsupported YAML tag '{node.tag}'",
                "remove the YAML tag (!!...); configs hold plain mappings, lists and values",
            )
            return None
        budget.active.add(id(node))
        try:
            return _construct_collection(node, path, display, key_locs, value_locs, report, budget)
        finally:
            budget.active.discard(id(node))
    try:
        value = _SCALAR_LOADER.construct_object(node)
        if isinstance(value, bytes):
            # A setting is text, a number or a flag; a job would get "b'...'" for it.
            raise ValueError("binary data (!!binary) is not a setting")
        return value
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        budget.fatal = True
        report.error(
            "TG100",
            _loc(display, node.start_mark),
            f"cannot read this value: {problem}",
            "remove the YAML tag (!!...) or quote the value",
        )
        return None


def _construct_collection(node, path, display, key_locs, value_locs, report, budget) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                report.error(
                    "TG101",
                    _loc(display, key_node.start_mark),
                    "a key must be a plain name",
                    "use a string key",
                )
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append(value_node)
                continue
            key = str(key_node.value)
            if key in result:
                first = key_locs[path + (key,)]
                report.error(
                    "TG102",
                    _loc(display, key_node.start_mark),
                    f"duplicate key '{key}' (first defined at line {first.line})",
                    "remove one of them; YAML would silently keep only the last",
                )
                continue
            key_locs[path + (key,)] = _loc(display, key_node.start_mark)
            result[key] = _construct(
                value_node, path + (key,), display, key_locs, value_locs, report, budget
            )
        if merges:
            merged = _merged_keys(merges, path, display, key_locs, value_locs, report, budget)
            result = {**{k: v for k, v in merged.items() if k not in result}, **result}
        return result
    return [
        _construct(item, path + (i,), display, key_locs, value_locs, report, budget)
        for i, item in enumerate(node.value)
    ]


def _merged_keys(merges, path, display, key_locs, value_locs, report, budget) -> dict:
    """The keys YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) bring into a mapping, as
    PyYAML (and so Tauro) reads them: an earlier mapping wins over a later one, and the
    mapping's own keys over all of them (the caller's part). Each key keeps the location
    where the merged mapping writes it."""
    sources: list[yaml.Node] = []
    for value_node in merges:
        items = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for item in items:
            if isinstance(item, yaml.MappingNode):
                sources.append(item)
            else:
                report.error(
                    "TG101",
                    _loc(display, item.start_mark),
                    "a merge key ('<<') takes a mapping or a list of mappings",
                    "write <<: *defaults (an anchored mapping) or <<: [*a, *b]",
                )
    merged: dict = {}
    for source in sources:
        source_keys: dict = {}
        source_values: dict = {}
        data = _construct(source, path, display, source_keys, source_values, report, budget)
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            if key in merged:
                continue
            merged[key] = value
            for table, found in ((key_locs, source_keys), (value_locs, source_values)):
                for where, loc in found.items():
                    if where[: len(path) + 1] == path + (key,):
                        table.setdefault(where, loc)
    return merged


class _ScalarLoader(yaml.SafeLoader):
    def __init__(self) -> None:  # no stream: only used to construct single scalar nodes
        yaml.SafeLoader.__init__(self, "")


_SCALAR_LOADER = _ScalarLoader()


def _find_file(config_dir: Path, section: str) -> list[Path]:
    found = []
    for stem in FILE_NAMES[section]:
        for ext in EXTENSIONS:
            candidate = config_dir / f"{stem}{ext}"
            # Anything by the name, not only a readable file: a directory, a dangling
            # symlink or a symlink loop is reported where it is, not taken as no file.
            if candidate.is_symlink() or candidate.exists():
                found.append(candidate)
    return found


def _display(root: Path, path: Path) -> str:
    try:
        # A symlink is shown as itself (its target may be what is wrong).
        where = path.parent.resolve() / path.name if path.is_symlink() else path.resolve()
        return where.relative_to(root.resolve()).as_posix()
    except (ValueError, RuntimeError, OSError):  # elsewhere; a symlink loop
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return str(path)


def _is_wrapper(value: Any) -> bool:
    """A top-level key whose value maps names to mappings: a wrapper such as `inputs:`."""
    return isinstance(value, dict) and all(isinstance(v, dict) or v is None for v in value.values())


WRAPPERS = {
    **{s: s for s in SECTIONS},
    **{s[:-1]: s for s in SECTIONS},
    "global_settings": "global_settings",
}


def _entries(tree: _Tree, section: str, display: str, report: Report, broken: set[str]):
    """Yield (name, value, key path in the tree) for a section file, wrapped or bare."""
    if not isinstance(tree.data, dict):
        broken.add(section)
        report.error(
            "TG104",
            tree.value_locs.get((), Location(display)),
            f"{section} file must be a mapping of name -> entry, got {_kind(tree.data)}",
            f"write `{section}:` followed by indented entries",
        )
        return
    for key, value in tree.data.items():
        wrapped = WRAPPERS.get(key)
        if wrapped == section and (value is None or _is_wrapper(value)):
            if value is None:
                continue  # `inputs:` with nothing under it: an empty section
            for name, entry in value.items():
                yield name, entry, (key, name)
        elif wrapped is not None and wrapped != section and _is_wrapper(value) and value:
            broken.add(section)
            report.error(
                "TG115",
                tree.key_locs[(key,)],
                f"this file holds {section}, but its entries are wrapped in '{key}:'",
                f"rename '{key}:' to '{section}:', or move these entries to the {wrapped} file",
            )
        else:
            yield key, value, (key,)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"


@dataclass
class _Descriptor:
    files: dict[str, Path]
    locations: dict[str, Location]
    env_known: bool
    display: str
    broken: bool = False


def _descriptor_files(root: Path, env: str, report: Report) -> _Descriptor | None:
    """Files named by a Tauro `settings_*.json` descriptor: base's, replaced by env's."""
    for name in DESCRIPTOR_NAMES:
        path = root / name
        if not path.is_file():
            continue
        result = _Descriptor({}, {}, env == "base", name, broken=True)
        tree = _parse(path, name, report)
        if tree is None:
            return result
        env_config = tree.data.get("env_config") if isinstance(tree.data, dict) else None
        if not isinstance(env_config, dict):
            report.error(
                "TG105",
                tree.value_locs.get((), Location(name, 1, 1)),
                "descriptor has no 'env_config' mapping",
                "add env_config: {base: {pipelines_config_path: ..., ...}}",
            )
            return result
        result.broken = False
        base = _descriptor_base(tree, name, report)
        if base is None:
            result.broken = True
            return result
        for env_name in ("base", env) if env != "base" else ("base",):
            entry = env_config.get(env_name)
            if entry is None:
                continue
            if not isinstance(entry, dict):
                result.broken = True
                report.error(
                    "TG105",
                    tree.value_locs[("env_config", env_name)],
                    f"descriptor: env_config.{env_name} must map file keys to paths",
                    "e.g. {pipelines_config_path: config/pipelines.yaml, ...}",
                )
                continue
            for key, value in entry.items():
                section = DESCRIPTOR_KEYS.get(key)
                where = tree.key_locs[("env_config", env_name, key)]
                if section is None:
                    report.warning(
                        "TG106",
                        where,
                        f"descriptor: unknown key '{key}' ignored",
                        did_you_mean(key, DESCRIPTOR_KEYS)
                        or "known keys: " + ", ".join(DESCRIPTOR_KEYS),
                    )
                    continue
                if not isinstance(value, str) or not value.strip():
                    result.broken = True
                    report.error(
                        "TG105",
                        tree.value_locs[("env_config", env_name, key)],
                        f"descriptor: '{key}' must be a file path",
                        "write it relative to the project root, e.g. config/nodes.yaml",
                    )
                    continue
                result.files[section] = root / base / value
                result.locations[section] = tree.value_locs[("env_config", env_name, key)]
        result.env_known = env == "base" or env in env_config
        return result
    return None


def _descriptor_base(tree: _Tree, name: str, report: Report) -> str | None:
    """Tauro joins the descriptor's `base_path` (default "") before every file path."""
    base = tree.data.get("base_path", "")
    if isinstance(base, str) and ".." not in Path(base).parts and not Path(base).is_absolute():
        return base
    report.error(
        "TG105",
        tree.value_locs.get(("base_path",), Location(name, 1, 1)),
        "descriptor: 'base_path' must be a folder inside the project",
        'write it relative to the project root (e.g. "" or "tauro"), without \'..\'',
    )
    return None


def _unread_files(root: Path, folder: Path, report: Report) -> None:
    """A config file we do not read is usually a misspelt name: say so instead of ignoring it."""
    if not folder.is_dir():
        return
    known = [
        f"{stem}{ext}" for stems in FILE_NAMES.values() for stem in stems for ext in EXTENSIONS
    ]
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in EXTENSIONS and path.name not in known:
            report.warning(
                "TG109",
                Location(_display(root, path), 1, 1),
                f"config file '{path.name}' is not read by tauro-gen",
                did_you_mean(path.name, known)
                or "tauro-gen reads pipelines, nodes, inputs, outputs and global_settings files",
            )


def load_project(root: Path, env: str = "base") -> tuple[RawProject, Report]:
    """Read and merge every config file of `root` for `env` (SPEC 1.1–1.4)."""
    report = Report()
    root = Path(root)
    config_dir = root / "config"
    raw = RawProject(root=root, env=env, sections={s: {} for s in SECTIONS}, global_settings={})
    if not is_plain_name(env) or env in (".", ".."):
        report.error(
            "TG117",
            Location(_display(root, config_dir)),
            f"environment name {env!r} is not a plain name",
            "use letters, digits, '_', '-' and '.': it names config/<env>/ and build/<env>/",
        )
        return raw, report

    descriptor = _descriptor_files(root, env, report)
    layers: list[list[tuple[str, Path]]] = []
    origins: dict[Path, Location] = {}
    if descriptor is not None:
        env_known = descriptor.env_known
        if descriptor.broken:
            raw.broken.update((*SECTIONS, "global_settings"))
        layers.append(sorted(descriptor.files.items()))
        origins = {descriptor.files[s]: loc for s, loc in descriptor.locations.items()}
    else:
        if not config_dir.is_dir():
            report.error(
                "TG107",
                Location(_display(root, config_dir)),
                "no config/ folder in the project",
                "run tauro-gen from the project root or pass --project DIR",
            )
            return raw, report
        env_known = env == "base"
        layers.append(
            [(s, p) for s in (*SECTIONS, "global_settings") for p in _find_file(config_dir, s)]
        )
        _unread_files(root, config_dir, report)
        if env != "base":
            overlay_dir = config_dir / env
            if overlay_dir.is_dir():
                env_known = True
                layers.append(
                    [
                        (s, p)
                        for s in (*SECTIONS, "global_settings")
                        for p in _find_file(overlay_dir, s)
                    ]
                )
                _unread_files(root, overlay_dir, report)
    if not env_known and descriptor is not None:
        report.warning(
            "TG108",
            Location(descriptor.display, 1, 1),
            f"environment '{env}' has no entry in env_config; it uses the base files only",
            f"that is fine if intended; add env_config.{env} to override files",
        )
    elif not env_known:
        report.warning(
            "TG108",
            Location(_display(root, config_dir)),
            f"environment '{env}' has no config/{env}/ overlay; it uses the base values only",
            "that is fine if intended; create config/<env>/ to override values",
        )

    for depth, layer in enumerate(layers):
        seen_in_layer: dict[tuple[str, str], Location] = {}
        for section, path in layer:
            display = _display(root, path)
            if not path.is_file() and not (path.is_symlink() or path.exists()):
                raw.broken.add(section)
                report.error(
                    "TG100",
                    origins.get(path, Location(display)),
                    f"{section} file '{display}' does not exist",
                    "fix the path in the descriptor (relative to the project root)",
                )
                continue
            raw.files.append(path)
            raw.section_files.setdefault(section, display)
            tree = _parse(path, display, report)
            if tree is None:
                raw.section_files.setdefault(section, display)
                raw.broken.add(section)
                continue
            if section == "global_settings":
                _merge_settings(raw, tree, display, report)
                continue
            for name, entry, tree_path in _entries(tree, section, display, report, raw.broken):
                name = str(name)
                here = tree.key_locs[tree_path]
                if (section, name) in seen_in_layer:
                    first = seen_in_layer[(section, name)]
                    report.error(
                        "TG103",
                        here,
                        f"{section[:-1]} '{name}' is defined twice (first at {first})",
                        "rename or remove one of the two definitions",
                    )
                    continue
                seen_in_layer[(section, name)] = here
                _merge_entry(raw, section, name, entry, tree, tree_path, overlay=depth > 0)

    if "pipelines" not in raw.section_files and "pipelines" not in raw.broken:
        where = (
            Location(descriptor.display, 1, 1)
            if descriptor is not None
            else Location(_display(root, config_dir))
        )
        report.error(
            "TG116",
            where,
            "the project has no pipelines file",
            "create config/pipelines.yaml, e.g. `my_pipeline: {nodes: [my_node]}`",
        )
    _interpolate(raw, report)
    return raw, report


def _copy_locs(raw: RawProject, tree: _Tree, tree_path: tuple, target: tuple) -> None:
    n = len(tree_path)
    for table, path, loc in tree.locations_under(tree_path):
        destination = raw.key_locs if table is tree.key_locs else raw.value_locs
        destination[target + path[n:]] = loc


def _merge_entry(raw, section, name, entry, tree, tree_path, overlay: bool) -> None:
    current = raw.sections[section]
    if overlay and name in current and isinstance(current[name], dict) and isinstance(entry, dict):
        current[name] = deep_merge(current[name], entry)
    else:
        current[name] = entry
    _copy_locs(raw, tree, tree_path, (section, name))


def _merge_settings(raw: RawProject, tree: _Tree, display: str, report: Report) -> None:
    if not isinstance(tree.data, dict):
        raw.broken.add("global_settings")
        report.error(
            "TG104",
            tree.value_locs.get((), Location(display)),
            "global settings must be a mapping",
            "write `key: value` lines",
        )
        return
    data = tree.data
    if set(data) == {"global_settings"} and isinstance(data["global_settings"], dict):
        data = data["global_settings"]
        tree_path: tuple = ("global_settings",)
    else:
        tree_path = ()
    raw.global_settings = deep_merge(raw.global_settings, data)
    _copy_locs(raw, tree, tree_path, ("global_settings",))
    raw.section_files.setdefault("global_settings", display)


def deep_merge(base: dict, overlay: dict) -> dict:
    """Mappings merge key by key; scalars and lists from the overlay replace (SPEC 1.2)."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _lookup(settings: dict, dotted: str) -> tuple[bool, Any]:
    value: Any = settings
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _interpolate(raw: RawProject, report: Report) -> None:
    """Replace build-time `${name}` references from global settings, in place.

    A reference inside a global setting is reported where that setting is written; where it
    is used, it is silently left as is (one mistake, one diagnostic).
    """
    settings = raw.global_settings

    def resolve(
        text: str, path: tuple, stack: tuple[str, ...], quiet: bool, origin: str | None
    ) -> Any:
        def fail(code: str, message: str, hint: str) -> None:
            if not quiet:
                report.error(code, raw.where(path, value=True), _who(path) + message, hint)

        def one(match: re.Match) -> str:
            ref = match.group(1).strip()
            if ref.startswith("env:"):
                if "${" in ref:
                    fail(
                        "TG110",
                        f"the default of '{_masked(ref)}' holds another reference",
                        "a default is plain text: write it out, or set the variable",
                    )
                elif not ENV_REFERENCE.match(ref):
                    fail(
                        "TG110",
                        f"malformed environment reference '{_masked(ref)}'",
                        "write ${env:NAME} or ${env:NAME:-default} (NAME: letters, digits, _)",
                    )
                return match.group(0)
            if ref in stack:
                if stack[0] == ref and origin == ref:  # reported once, where the loop starts
                    report.error(
                        "TG113",
                        raw.where(path, value=True),
                        _who(path)
                        + "circular reference "
                        + " -> ".join(f"${{{r}}}" for r in (*stack, ref)),
                        "a global setting cannot refer to itself, directly or through others",
                    )
                return match.group(0)
            found, value = _lookup(settings, ref)
            if found and isinstance(value, (dict, list)):
                fail(
                    "TG111",
                    f"'${{{ref}}}' names a {'mapping' if isinstance(value, dict) else 'list'};"
                    " only text and numbers can be substituted",
                    (
                        "refer to one of its values, e.g. ${" + ref + ".key}"
                        if isinstance(value, dict)
                        else "write the list out here"
                    ),
                )
                return match.group(0)
            if not found and "global_settings" in raw.broken:
                return match.group(0)  # the settings file is unreadable, and reported
            if not found:
                fail(
                    "TG111",
                    f"unresolved reference '${{{ref}}}'",
                    did_you_mean(ref, _flat_keys(settings))
                    or (
                        "define it in config/global_settings.yaml, or use ${env:NAME} "
                        "for a value read when the job starts"
                    ),
                )
                return match.group(0)
            if isinstance(value, str) and "${" in value:
                return str(resolve(value, path, (*stack, ref), True, origin))
            return _text(value)

        # A value that is exactly one reference keeps the referenced type (e.g. an int).
        whole = REFERENCE.fullmatch(text)
        if whole and not whole.group(1).strip().startswith("env:"):
            ref = whole.group(1).strip()
            found, value = _lookup(settings, ref)
            if found and ref not in stack and not isinstance(value, (dict, list, str)):
                return value
        result = REFERENCE.sub(one, text)
        if UNTERMINATED.search(result):
            fail(
                "TG114",
                f"'${{' without a closing '}}' in '{_masked_text(text)}'",
                "close the reference: ${name}; write $${ for a literal '${'",
            )
        return result

    def walk(value: Any, path: tuple, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(value, str):
            origin = stack[0] if stack else None
            return resolve(value, path, stack, False, origin) if "${" in value else value
        if isinstance(value, dict):
            for key in value:
                if isinstance(key, str) and "${" in key.replace("$${", ""):
                    report.error(
                        "TG110",
                        raw.where(path + (key,)),
                        _who(path) + f"a key cannot hold a reference: '{_masked_text(key)}'",
                        "references are filled in values only; write the key out",
                    )
            return {k: walk(v, path + (k,), stack) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path + (i,), stack) for i, v in enumerate(value)]
        return value

    for section in SECTIONS:
        raw.sections[section] = {
            name: walk(entry, (section, name)) for name, entry in raw.sections[section].items()
        }

    def walk_settings(value: Any, path: tuple) -> Any:
        if isinstance(value, dict):
            return {k: walk_settings(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, path + (i,), (_dotted(path),)) for i, v in enumerate(value)]
        return walk(value, path, (_dotted(path),))

    raw.global_settings = walk_settings(raw.global_settings, ("global_settings",))


# `${` that no `}` closes (after substitution); `$${` is an escaped literal.
UNTERMINATED = re.compile(r"(?<!\$)\$\{[^}]*$")


def _masked_text(text: str) -> str:
    """Text with the default of every `${env:NAME:-default}` in it shown as ***."""
    return re.sub(r"(\$\{env:[^}]*?:-)[^}]*", r"\1***", text)


def _masked(ref: str) -> str:
    """A malformed `${env:...}` as a message shows it: its default may be a secret, and a
    malformed reference cannot say which key it is for, so the default is never shown."""
    name, sep, _ = ref.partition(":-")
    return "${" + name + (":-***}" if sep else "}")


def _who(path: tuple) -> str:
    """Whose value a diagnostic is about, in the user's words: "input 'sales': "."""
    if len(path) >= 2 and path[0] in SECTIONS:
        return f"{path[0][:-1]} '{path[1]}': "
    if len(path) >= 2 and path[0] == "global_settings":
        return f"global setting '{_dotted(path)}': "
    return ""


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path[1:])


def _text(value: Any) -> str:
    """A setting as it reads in text: YAML's true/false, not Python's True/False."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _flat_keys(settings: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in settings.items():
        keys.append(prefix + str(key))
        if isinstance(value, dict):
            keys.extend(_flat_keys(value, f"{prefix}{key}."))
    return keys


def canonical_json(value: Any) -> str:
    """Stable text of a value, for digests."""
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
