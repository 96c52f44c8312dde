"""Find, read and cross-check program files; presets ship in programs/presets/."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from altresponse.datafiles import Location, explain, read_yaml
from altresponse.errors import ConfigError, NotFoundError
from altresponse.programs.model import DEFAULT_RED_FLAG_RESPONSES, Program
from altresponse.programs.vocabulary import CIVILIAN_ONLY, RedFlag

Problem = tuple[Location, str]


def presets_dir() -> Path:
    """The folder of the shipped program presets."""
    return Path(str(resources.files("altresponse.programs") / "presets"))


def preset_names() -> list[str]:
    """Names of the shipped presets, sorted."""
    return sorted(path.stem for path in presets_dir().glob("*.yaml"))


def find_program(name_or_path: str | Path) -> Path:
    """A preset by name, or a program file by path."""
    text = str(name_or_path)
    path = Path(text)
    if text.endswith((".yaml", ".yml")) or path.exists():
        if not path.is_file():
            raise NotFoundError(f"{path}: no such program file")
        return path
    preset = presets_dir() / f"{text}.yaml"
    if not preset.is_file():
        raise NotFoundError(f"unknown program {text!r}; presets: {', '.join(preset_names())}")
    return preset


def load_program(name_or_path: str | Path) -> Program:
    """Read and validate a program (preset name or file path); errors name file, line, field."""
    path = find_program(name_or_path)
    return _load_cached(path.resolve(), path.stat().st_mtime_ns, str(path))


@functools.lru_cache(maxsize=64)
def _load_cached(resolved: Path, mtime_ns: int, shown: str) -> Program:
    """Load once per file version: triage asks for the same program for every call."""
    path = Path(shown)
    data, lines = read_yaml(path)
    try:
        program = Program.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(explain(path, exc, lines)) from exc
    problems = list(check_references(program))
    if problems:
        loc, message = problems[0]
        field = ".".join(str(part) for part in loc) or "(top level)"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{path}:{_line(loc, lines)}: {field}: {message}{more}")
    version = hashlib.sha256(resolved.read_bytes()).hexdigest()[:16]
    return program.model_copy(update={"protocol_version": version})


def _line(loc: Location, lines: dict[Location, int]) -> int:
    """The line of the deepest part of LOC the file has."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def check_references(program: Program) -> Iterator[Problem]:
    """Every cross-reference inside a program, checked: ids unique, options defined, safe."""
    yield from _unique_ids(program)
    options = {option.id: option for option in program.responses}
    for i, rule in enumerate(program.protocol):
        if rule.respond not in options:
            yield ("protocol", i, "respond"), _undefined(rule.respond, options)
    for i, option in enumerate(program.responses):
        if option.fallback is not None:
            yield from _check_fallback(program, ("responses", i, "fallback"), option.fallback)
    yield from _check_safe_targets(program, options)
    yield from _check_program_options(program, options)
    yield from _check_reachable(program)


def _undefined(option_id: str, options: Mapping[str, object]) -> str:
    """The message for a reference to a response option that does not exist."""
    return f"response option {option_id!r} is not defined; defined: {', '.join(options)}"


def _unique_ids(program: Program) -> Iterator[Problem]:
    """Ids within each list must be unique."""
    lists: dict[str, tuple[object, ...]] = {
        "responses": program.responses,
        "teams": program.teams,
        "protocol": program.protocol,
        "follow_up": program.follow_up,
        "zones": program.zones or (),
    }
    for name, items in lists.items():
        seen: set[str] = set()
        for i, item in enumerate(items):
            item_id = str(getattr(item, "id"))  # noqa: B009 - every listed model has an id
            if item_id in seen:
                yield (name, i, "id"), f"duplicate id {item_id!r}"
            seen.add(item_id)


def _check_safe_targets(program: Program, options: Mapping[str, object]) -> Iterator[Problem]:
    """Red flags and unknown answers may only lead to a response that brings police or EMS."""
    targets: list[tuple[Location, str]] = [
        (("red_flags", flag.value), program.red_flags.get(flag, DEFAULT_RED_FLAG_RESPONSES[flag]))
        for flag in RedFlag
    ]
    targets.append((("unknown_answers",), program.unknown_answers))
    for loc, option_id in targets:
        option = options.get(option_id)
        if option is None:
            yield loc, _undefined(option_id, options)
        elif program.response(option_id).track in CIVILIAN_ONLY:
            track = program.response(option_id).track
            yield (
                loc,
                f"{option_id!r} is a {track} response; safety needs police, EMS or co-response",
            )
    if program.default not in options:
        yield ("default",), _undefined(program.default, options)
    yield from _check_fallback(program, ("queue", "fallback"), program.queue.fallback)


def _check_fallback(program: Program, loc: Location, option_id: str) -> Iterator[Problem]:
    """A fallback serves calls the program cannot: outside it, and never civilian-only.

    A call reaches a fallback after the red-flag and unknown-answer checks, so a civilian-only
    fallback could undo them (e.g. a co-response for a suicide plan, unavailable at night).
    """
    options = {option.id: option for option in program.responses}
    fallback = options.get(option_id)
    if fallback is None:
        yield loc, _undefined(option_id, options)
    elif fallback.program:
        yield loc, f"the fallback {option_id!r} must be a response outside the program"
    elif fallback.track in CIVILIAN_ONLY:
        yield loc, f"the fallback {option_id!r} is {fallback.track}; it must bring police or EMS"


def _check_program_options(program: Program, options: Mapping[str, object]) -> Iterator[Problem]:
    """The program has a response of its own, and its teams have the skills it needs."""
    own = [option for option in program.responses if option.program]
    if not own:
        yield ("responses",), "no response option has `program: true` (the program's own team)"
    if not program.teams:
        return
    skills = {skill for team in program.teams for skill in team.skills}
    for i, option in enumerate(program.responses):
        missing = [skill for skill in option.skills if skill not in skills]
        if option.program and missing:
            yield ("responses", i, "skills"), f"no team has the skills {', '.join(missing)}"


def _check_reachable(program: Program) -> Iterator[Problem]:
    """A rule after an unconditional catch-all can never decide anything."""
    for i, rule in enumerate(program.protocol):
        if rule.always and not rule.unless and rule.mode == "both":
            for j in range(i + 1, len(program.protocol)):
                later = program.protocol[j].id
                yield ("protocol", j), f"rule {later!r} can never match: {rule.id!r} catches all"
            return
