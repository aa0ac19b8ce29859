"""Reading `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the Pulumi CLI would, safely.

Stack files come from pull requests, so the reader assumes they are hostile. It bounds what a file
may cost before anything else looks at it (`LIMITS`, which docs/stack-files.md lists), and turns
every read, decode and parse problem into one line `<file>:<line>:<column>: <what is wrong>` that
never repeats a value (any value may be a password typed in the wrong place).

Values the program could not receive as the CLI passes them (JSON) are refused too: timestamps,
binary, sets and other tags, numbers too long to read, and keys that are not strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024
MAX_NODES = 200_000
MAX_VALUE_CHARS = 64 * 1024
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40

#: Each limit, its value and why it is that value (docs/stack-files.md shows this table).
LIMITS: tuple[tuple[str, str, str], ...] = (
    ("file size", f"{MAX_BYTES // 1024 // 1024} MiB",
     "1.4 times the largest stack benchmarked (20 clusters x 500 topics: 0.74 MB); the file is read "
     "no further, so a 50 MB file costs nothing, and a file at the limit is read in about a second"),
    ("nodes, every alias expanded", f"{MAX_NODES:,}",
     "3 times that stack's 67,000; counted as the file is parsed, so a file of tiny values stops "
     "there, and a billion laughs (a few hundred bytes expanding to 10^9 nodes) is refused after "
     "counting the few dozen written"),
    ("one value", f"{MAX_VALUE_CHARS // 1024} KiB",
     "holds any name, setting or encrypted certificate chain; more only bloats every line that repeats it"),
    ("nesting", f"{MAX_DEPTH} levels",
     "the deepest stack config is 8 (config, key, cluster, topics, topic, config, option, value)"),
    ("a plain number", f"{MAX_NUMBER_CHARS} characters",
     "a 64-bit integer has 20 digits; Python refuses to read more than 4,300"),
)



def limits_table() -> str:
    """`LIMITS` as the markdown table docs/stack-files.md holds (a test keeps them in step)."""
    rows = [f"| {what} | {value} | {why} |" for what, value, why in LIMITS]
    return "\n".join(["| limit | at most | why |", "| --- | --- | --- |", *rows]) + "\n"


# libyaml's safe loader when PyYAML was built with it: the same YAML, read about ten times faster
# (half a second of a 1,200-topic plan with the pure-Python loader).
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
# What JSON can carry, so what the CLI can hand the program.
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}
_PLAIN_SCALAR_TAGS = _SCALAR_TAGS - {f"{_TAG}int", f"{_TAG}float"}  # nothing more to check
_SEQ, _MAP, _MERGE, _STR = f"{_TAG}seq", f"{_TAG}map", f"{_TAG}merge", f"{_TAG}str"
# The mappings whose keys the CLI reads as names: the file's own and `config:`'s.
_NAMED_KEYS: tuple[tuple[str | int, ...], ...] = ((), ("config",))
_WHAT_TAGS_READ_AS = {
    f"{_TAG}timestamp": "YAML reads this unquoted value as a date or time; quote it",
    f"{_TAG}binary": "a !!binary value is not a config value",
    f"{_TAG}set": "a !!set is not a config value; write a list",
    f"{_TAG}omap": "a !!omap is not a config value; write a mapping",
    f"{_TAG}pairs": "a !!pairs is not a config value; write a mapping",
}


class StackFileError(ValueError):
    """A project or stack file that cannot be read: one line per problem, no values in them."""

    def __init__(self, message: str, project: str | None = None) -> None:
        super().__init__(message)
        self.project = project
        """The project's name, when the project file was read before the stack file failed."""


@dataclass(frozen=True)
class StackFiles:
    """The config the CLI would hand the program: flat key -> string, and the secret keys."""

    project: str
    config: dict[str, str]
    secret_keys: list[str]


class _Problem(Exception):
    """A problem at a place in the file, before the file's name is known to the message."""

    def __init__(self, line: int, column: int, what: str) -> None:
        super().__init__(what)
        self.line, self.column, self.what = line, column, what


def _at(mark: Any, what: str) -> _Problem:
    return _Problem(mark.line + 1, mark.column + 1, what)


def _key_path(path: tuple[str | int, ...]) -> str:
    # Stack files nest the namespace keys under `config:`; name them as config errors do.
    parts = path[1:] if len(path) > 1 and path[0] == "config" else path
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def _safe_text(text: str, limit: int = 60) -> str:
    """A name from the file (key, tag) fit for one line: control characters escaped, length cut."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return shown.encode("unicode_escape").decode("ascii") if not shown.isprintable() else shown


def safe_name(name: str) -> str:
    """A file's name fit to start a message line (see :func:`_safe_text`)."""
    return _safe_text(name, 120)


def _named(path: tuple[str | int, ...], what: str) -> str:
    return f"{_safe_text(_key_path(path), 120)}: {what}" if path else what


_KINDS = {f"{_TAG}{t}": kind for t, kind in (("str", "string"), ("int", "number"), ("float", "number"),
                                              ("bool", "boolean"), ("null", "null"))}


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "mapping" if isinstance(node, yaml.MappingNode) else _KINDS.get(node.tag, "value")


def _check_shape(root: yaml.Node) -> yaml.MappingNode:
    """A project or stack file is a mapping, and its `config:` (if any) a mapping too."""
    if not isinstance(root, yaml.MappingNode):
        raise _at(root.start_mark, f"the file must be a mapping of keys such as `config:`, not a {_kind(root)}")
    for key, value in root.value:
        if key.tag == _STR and key.value == "config" and not (
            isinstance(value, yaml.MappingNode) or value.tag == f"{_TAG}null"
        ):
            raise _at(value.start_mark, f"`config:` must be a mapping of keys to values, not a {_kind(value)}")
    return root


@dataclass
class _Walk:
    """One pass over the composed node graph, each node once however many aliases point at it.

    Aliases share nodes, so the graph is as small as the file; `size` and `height` say how large
    and deep it would be once expanded, which is what the limits bound.
    """

    size: dict[int, int] = field(default_factory=dict)
    height: dict[int, int] = field(default_factory=dict)
    duplicates: list[_Problem] = field(default_factory=list)

    def run(self, root: yaml.MappingNode) -> None:
        # Iterative depth-first walk over collections (scalars are checked and counted by their
        # parent): frames are [node, key path, depth, collection children, next child, scalars].
        active: set[int] = set()
        frames: list[list[Any]] = []

        def enter(node: yaml.Node, path: tuple[str | int, ...], depth: int) -> None:
            key = id(node)
            if key in active:
                raise _at(node.start_mark, _named(path, "a YAML alias refers to a collection that contains it"))
            if key in self.height:  # seen through another alias: only its depth here is new
                if depth + self.height[key] > MAX_DEPTH:
                    raise _at(node.start_mark, _named(path, f"nested deeper than {MAX_DEPTH} levels"))
                return
            if depth + 1 >= MAX_DEPTH:  # its scalars, if any, are one level further down
                raise _at(node.start_mark, _named(path, f"nested deeper than {MAX_DEPTH} levels"))
            children, scalars = self._children(node, path)
            active.add(key)
            frames.append([node, path, depth, children, 0, scalars])

        enter(root, (), 0)
        while frames:
            frame = frames[-1]
            node, path, depth, children, cursor, scalars = frame
            if cursor < len(children):
                frame[4] += 1
                enter(children[cursor][0], children[cursor][1], depth + 1)
                continue
            frames.pop()
            active.discard(id(node))
            size = 1 + scalars + sum(self.size[id(c)] for c, _ in children)
            if size > MAX_NODES:
                what = f"expands to more than {MAX_NODES:,} YAML nodes (through aliases?)"
                raise _at(node.start_mark, _named(path, what))
            self.size[id(node)] = size
            self.height[id(node)] = 1 + max((self.height[id(c)] for c, _ in children), default=1 if scalars else 0)

    def _children(
        self, node: yaml.Node, path: tuple[str | int, ...]
    ) -> tuple[list[tuple[yaml.Node, tuple[str | int, ...]]], int]:
        """A collection's collection children with their key paths, and how many scalars it holds."""
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise _at(node.start_mark, _named(path, _tag_problem(node.tag)))
            items = [(item, (*path, i)) for i, item in enumerate(node.value)]
        elif node.tag != _MAP:
            raise _at(node.start_mark, _named(path, _tag_problem(node.tag)))
        else:
            items = []
            first: dict[tuple[str, str], yaml.Node] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    raise _at(key.start_mark, _named(path, f"a mapping key is a {_kind(key)}; keys are names"))
                if key.tag == _MERGE:  # `<<: *defaults`, which the Pulumi CLI reads too
                    items.append((value, path))
                    continue
                if key.tag != _STR and path in _NAMED_KEYS:
                    what = f"a key that YAML reads as a {_kind(key)}, not a name; quote it"
                    raise _at(key.start_mark, _named(path, what))
                where = (*path, key.value)
                seen = first.setdefault((key.tag, key.value), key)
                if seen is not key:
                    self.duplicates.append(_at(key.start_mark, _named(
                        where, f"duplicate key (first at line {seen.start_mark.line + 1}); "
                               "YAML would silently keep only the last value")))
                items.append((key, where))
                items.append((value, where))
        children = []
        for child, where in items:
            if type(child) is yaml.ScalarNode:
                if child.tag not in _PLAIN_SCALAR_TAGS or len(child.value) > MAX_VALUE_CHARS:
                    _check_scalar(child, where)
            else:
                children.append((child, where))
        return children, len(items) - len(children)


def _tag_problem(tag: str) -> str:
    return _WHAT_TAGS_READ_AS.get(tag) or (
        f"YAML tag {_safe_text(tag.removeprefix(_TAG), 40)!r} is not a config value "
        "(only strings, numbers, booleans, null, lists and mappings are)"
    )


def _check_scalar(node: yaml.ScalarNode, path: tuple[str | int, ...]) -> None:
    if node.tag not in _SCALAR_TAGS:
        raise _at(node.start_mark, _named(path, _tag_problem(node.tag)))
    if len(node.value) > MAX_VALUE_CHARS:
        what = f"a value of {len(node.value):,} characters (at most {MAX_VALUE_CHARS:,})"
        raise _at(node.start_mark, _named(path, what))
    if node.tag in (f"{_TAG}int", f"{_TAG}float") and len(node.value) > MAX_NUMBER_CHARS:
        raise _at(node.start_mark, _named(
            path, f"a number of {len(node.value):,} characters (at most {MAX_NUMBER_CHARS}); quote it if it is a name"))


class _CountingLoader(_YAML_LOADER):  # type: ignore[misc]
    """The loader, counting the nodes it composes: a file of tiny values stops at the node limit
    while it is parsed, not after (the walk then counts alias expansions)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.nodes = 0
        self._scalar_tags: dict[tuple[str, Any], str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Called once per node composed (aliases reuse nodes and are not counted here).
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Problem(1, 1, f"more than {MAX_NODES:,} YAML nodes")
        if kind is not yaml.ScalarNode or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        # A scalar's tag depends only on its text and how it was written (plain or quoted): each
        # distinct one is matched against YAML's patterns once, not for each of 200,000 nodes.
        key = (value, implicit)
        tag = self._scalar_tags.get(key)
        if tag is None:
            tag = self._scalar_tags[key] = super().resolve(kind, value, implicit)
        return tag


def _yaml_problem(err: yaml.YAMLError, text: str) -> _Problem:
    """Where a YAML error is and what it is, in YAML's own words (which never quote a value)."""
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, err.position) + 1
        column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        return _Problem(line, column, f"character U+{err.character:04X} is not allowed in YAML: {err.reason}")
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or "cannot be parsed"
    context = getattr(err, "context", None)
    if "maximum nesting depth" in problem:
        problem = f"nested deeper than {MAX_DEPTH} levels"
    elif mark is not None and text[mark.index : mark.index + 1] == "\t":
        problem = "a tab character, where YAML allows only spaces for indentation"
    elif context:
        problem = f"{problem} ({context})"
    what = f"YAML: {_safe_text(problem, 160)}"
    return _at(mark, what) if mark is not None else _Problem(1, 1, what)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Problem(1, 1, "the file is UTF-16 or UTF-32 (byte-order mark); save it as UTF-8")
    try:
        # A UTF-8 byte-order mark is dropped, as YAML readers do.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise _Problem(line, column, "bytes that are not UTF-8; save the file as UTF-8") from None


def parse(data: bytes, name: str = "<yaml>") -> Any:
    """The one YAML document in `data`, within the limits; `None` for an empty one.

    Raises :class:`StackFileError` naming `name`, the line and the column for anything else.
    """
    try:
        return _parse(data)
    except _Problem as p:
        raise StackFileError(f"{name}:{p.line}:{p.column}: {p.what}") from None
    except ExceptionGroup as group:  # repeated keys: one line each, in the file's order
        found = sorted((p for p in group.exceptions if isinstance(p, _Problem)), key=lambda p: (p.line, p.column))
        raise StackFileError("\n".join(f"{name}:{p.line}:{p.column}: {p.what}" for p in found)) from None


def too_large(size: int) -> str:
    """What is wrong with a file of `size` bytes, over :data:`MAX_BYTES` (read no further)."""
    return f"larger than {MAX_BYTES // 1024 // 1024} MiB ({size:,} bytes or more)"


def _parse(data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise _Problem(1, 1, too_large(len(data)))
    text = _decode(data)
    loader = _CountingLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # the pure-Python loader recurses per level; libyaml stops at 1,000
            raise _Problem(1, 1, f"nested deeper than {MAX_DEPTH} levels") from None
        if node is None:
            return None
        walk = _Walk()
        walk.run(_check_shape(node))
        if walk.duplicates:
            raise ExceptionGroup("repeated keys", walk.duplicates)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise _yaml_problem(err, text) from None
    finally:
        loader.dispose()


def read(path: Path) -> Any:
    """Parse the YAML file at `path` (see :func:`parse`); errors name it by its file name."""
    name = _safe_text(path.name, 120)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as err:
        raise StackFileError(f"{name}: cannot be read: {err.strerror or type(err).__name__}") from None
    return parse(data, name)


def encode(value: Any) -> str:
    """A config value as the CLI hands it to the program."""
    # The CLI passes structured values JSON-encoded and scalars as strings.
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _offline_secrets(value: Any, key: str) -> Any:
    # Encrypted values cannot be decrypted offline: substitute a placeholder and keep it secret.
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            # Imported here: the engine loads before the program's modules (the benchmarks time them apart).
            from replication.config import OFFLINE_SECRET_PREFIX

            return f"{OFFLINE_SECRET_PREFIX}{key}"
        return {k: _offline_secrets(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_offline_secrets(v, key) for v in value]
    return value


def load_stack_files(program_dir: Path, stack: str, stack_file: Path | None = None) -> StackFiles:
    """Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` like the CLI: project defaults, then the stack.

    Raises :class:`StackFileError` for a file that is missing, too large, not UTF-8, not YAML, or
    not shaped like a project or stack file.
    """
    project_doc = read(program_dir / "Pulumi.yaml") or {}
    project = project_doc.get("name")
    if not isinstance(project, str) or not project:
        raise StackFileError("Pulumi.yaml: `name` must be the project's name, a non-empty string")
    path = stack_file or program_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise StackFileError(f"no stack config {_safe_text(path.name)} in {_safe_text(str(program_dir), 200)}", project)
    try:
        stack_doc = read(path)
    except StackFileError as err:
        raise StackFileError(str(err), project) from None
    if stack_doc is None:
        raise StackFileError(f"{_safe_text(path.name)}: the file is empty: it has no `config:`", project)
    values: dict[str, Any] = {}
    for key, spec in (project_doc.get("config") or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        if isinstance(spec, dict) and "default" in spec:
            values[full] = spec["default"]
        elif not isinstance(spec, dict):
            values[full] = spec
    for key, value in (stack_doc.get("config") or {}).items():
        values[key if ":" in key else f"{project}:{key}"] = value
    secret_keys = sorted(k for k, v in values.items() if _has_secure(v))
    return StackFiles(
        project=project,
        config={k: encode(_offline_secrets(v, k)) for k, v in values.items()},
        secret_keys=secret_keys,
    )
