"""YAML loading that keeps line/column marks, for `file:line:col: message` errors.

- Duplicate keys are errors (PyYAML silently keeps the last one).
- Booleans follow YAML 1.2: only true/false. `no`, `off`, `yes` stay strings, so a tenant
  named `no` is the string "no" and a boolean field given `yes` is a type error.
- Every mapping and sequence remembers where each of its items starts, so a validation
  error on a path such as ("tenants", 0, "users", "defaults") points at the right place.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import InputErrors


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class MarkedDict(dict):
    """A dict that knows where it and each of its keys/values start."""

    mark: Mark
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]


class MarkedList(list):
    mark: Mark
    item_marks: list[Mark]


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, marks and duplicate-key detection."""

    def __init__(self, stream: str, problems: list[tuple[Mark, str]]):
        super().__init__(stream)
        self.problems = problems

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping but found {node.id}", node.start_mark
            )
        self.flatten_mapping(node)
        result = MarkedDict()
        result.mark = _mark(node)
        result.key_marks = {}
        result.value_marks = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                self.problems.append((_mark(key_node), "a mapping key must be a plain value"))
                continue
            if key in result:
                first = result.key_marks[key]
                self.problems.append(
                    (_mark(key_node), f"duplicate key {key!r} (first defined at line {first.line})")
                )
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
        return result

    def construct_sequence(self, node, deep=False):  # type: ignore[override]
        result = MarkedList(self.construct_object(child, deep=True) for child in node.value)
        result.mark = _mark(node)
        result.item_marks = [_mark(child) for child in node.value]
        return result


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    return loader.construct_mapping(node, deep=True)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    return loader.construct_sequence(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)

# YAML 1.2 core schema booleans: drop PyYAML's YAML 1.1 yes/no/on/off resolver.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass
class Document:
    """A loaded YAML file: its data and where things are in it."""

    path: str
    data: Any

    def locate(self, loc: tuple[Any, ...]) -> Mark:
        """The mark of the deepest node on the path `loc` that exists in the file."""
        node = self.data
        mark = getattr(node, "mark", Mark(1, 1))
        for part in loc:
            if isinstance(node, MarkedDict) and part in node:
                mark = node.value_marks.get(part, mark)
                node = node[part]
            elif isinstance(node, MarkedDict):
                # an unknown key reported by its name: point at the key itself
                mark = node.key_marks.get(part, mark)
                break
            elif isinstance(node, MarkedList) and isinstance(part, int) and part < len(node):
                mark = node.item_marks[part]
                node = node[part]
            else:
                break
        return mark

    def key_mark(self, loc: tuple[Any, ...]) -> Mark:
        """The mark of the key that ends `loc` (for "unknown key" errors)."""
        if not loc:
            return self.locate(loc)
        parent = self.data
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                return self.locate(loc)
        if isinstance(parent, MarkedDict) and loc[-1] in parent.key_marks:
            return parent.key_marks[loc[-1]]
        return self.locate(loc)

    def error(self, loc: tuple[Any, ...], message: str, *, at_key: bool = False) -> str:
        mark = self.key_mark(loc) if at_key else self.locate(loc)
        return f"{self.path}:{mark}: {message}"


def load_text(text: str, path: str) -> Document:
    """Parse YAML text; raise InputErrors with every located problem."""
    problems: list[tuple[Mark, str]] = []
    loader = _Loader(text, problems)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        what = exc.problem or exc.context or "invalid YAML"
        raise InputErrors([f"{path}:{where}: YAML syntax error: {what}"]) from None
    except yaml.YAMLError as exc:
        raise InputErrors([f"{path}:1:1: YAML syntax error: {exc}"]) from None
    finally:
        loader.dispose()
    if problems:
        raise InputErrors([f"{path}:{mark}: {msg}" for mark, msg in problems])
    return Document(path=path, data=data)


MAX_BYTES = 10 * 1024 * 1024  # a config or a policy is text; /dev/zero is not


def load_file(path: str | Path) -> Document:
    """Read and parse a YAML file; a missing, unreadable or huge file is one clear error."""
    p = Path(path)
    try:
        with open(p, "rb") as source:
            raw = source.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputErrors([f"{p}: file not found"]) from None
    except PermissionError:
        raise InputErrors([f"{p}: permission denied ({readable_hint(p)})"]) from None
    except IsADirectoryError:
        raise InputErrors([f"{p}: is a directory, not a file"]) from None
    except OSError as exc:
        raise InputErrors([f"{p}: cannot read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise InputErrors(
            [f"{p}: larger than {MAX_BYTES // (1024 * 1024)} MiB: not a YAML file to read"]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputErrors([f"{p}: not UTF-8 text ({exc.reason})"]) from None
    return load_text(text, str(p))


def readable_hint(path: Path) -> str:
    """What to do about a file this user cannot read: name the folder that refuses it."""
    for folder in reversed(Path(os.path.abspath(path)).parents):
        if not os.access(folder, os.X_OK):
            return f"the folder {folder} cannot be entered by this user: run as its owner"
    return "this user cannot read it: run as its owner or fix its mode"


def pydantic_problems(doc: Document, exc: Any, prefix: tuple[Any, ...] = ()) -> list[str]:
    """Turn a pydantic ValidationError into `file:line:col: message` lines, in file order.

    `prefix`: where in the document the validated value sits (a model checked on its own).
    """
    located: list[tuple[Mark, str]] = []
    for err in exc.errors(include_url=False):
        loc = prefix + tuple(err["loc"])
        # pydantic appends the tagged-union / function names to loc; keep only data keys
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
        kind = err["type"]
        field = ".".join(str(p) for p in loc) or "(document)"
        if kind == "extra_forbidden":
            mark = doc.key_mark(loc)
            message = f"unknown key {loc[-1]!r}" if loc else "unknown key"
        else:
            mark = doc.locate(loc)
            message = f"{field}: {_describe(err)}"
        located.append((mark, message))
    located.sort(key=lambda item: (item[0].line, item[0].column))
    return [f"{doc.path}:{mark}: {message}" for mark, message in located]


def _describe(err: dict[str, Any]) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {value!r}"
    if kind in ("int_type", "int_parsing"):
        return f"expected an integer, got {value!r}"
    if kind == "string_type":
        return f"expected a string, got {value!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping, got {_yaml_type(value)}"
    if kind == "list_type":
        return f"expected a list, got {_yaml_type(value)}"
    ctx = err.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more, got {value!r}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}, got {value!r}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, got {value!r}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}, got {value!r}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {value!r}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {value!r}"
    msg = err["msg"]
    return msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg


def _yaml_type(value: Any) -> str:
    """The YAML name of a value's kind, for messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if value is None:
        return "nothing (null)"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return f"a string ({value!r})"
