"""Load rule files (YAML) into frozen models, with errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

from altresponse.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


def _known_zone(value: str) -> str:
    """The timezone must be an IANA name such as America/Chicago."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {value!r} (use an IANA name)") from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""A field holding an IANA timezone name, checked when the file is read."""
Location = tuple[str | int, ...]


def _walk(node: yaml.Node, path: Location, lines: dict[Location, int]) -> Any:
    """Turn a YAML node into plain data, recording the line of every key and item."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            if key in result:
                raise ConfigError(f"duplicate key {key!r} (line {key_node.start_mark.line + 1})")
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _walk(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def read_yaml(path: Path) -> tuple[Any, dict[Location, int]]:
    """Parse a YAML file into data plus a map from key path to line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}") from exc
    if node is None:
        raise ConfigError(f"{path}: file is empty")
    lines: dict[Location, int] = {}
    try:
        return _walk(node, (), lines), lines
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _line_of(loc: Location, lines: dict[Location, int]) -> int:
    """The line of the deepest part of an error location that the file has."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def explain(path: Path, error: ValidationError, lines: dict[Location, int]) -> str:
    """One line for the first validation error: file, line, field, what was expected."""
    first = error.errors()[0]
    loc = tuple(part for part in first["loc"] if not str(part).startswith("function-"))
    field = ".".join(str(part) for part in loc) or "(top level)"
    more = len(error.errors()) - 1
    extra = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
    return f"{path}:{_line_of(loc, lines)}: {field}: {first['msg']}{extra}"


def load_model(path: Path, model: type[ModelT], **context: Any) -> ModelT:
    """Read a YAML file and validate it into `model`, raising ConfigError with file and line."""
    data, lines = read_yaml(path)
    try:
        return model.model_validate(data, context=context or None)
    except ValidationError as exc:
        raise ConfigError(explain(path, exc, lines)) from exc
