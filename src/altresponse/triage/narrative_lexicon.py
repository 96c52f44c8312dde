"""The narrative lexicon file: its model, term syntax, loading and merging of a city's additions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from altresponse.datafiles import explain, read_yaml
from altresponse.errors import ConfigError
from altresponse.triage.flags import Need, RedFlag

DEFAULT_LEXICON = Path(__file__).with_name("data") / "narrative.yaml"
REAL_WORDS = Path(__file__).with_name("data") / "narrative_real_words.txt"

_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789/'&().#+-")
_MACRO = re.compile(r"\{(!?[a-z_]+)\}")
# Constructs that Python's re and RE2 read differently, or that one of them lacks.
_UNSAFE = re.compile(
    r"\(\?[=!<>#aiLmsux]|\(\?P=|\\[1-9sSzZAGpPNuUx]|\$|\[\[:|[*+?}]\+|(?<!\\)[A-Z]|\{,"
)


def split_block(block: str) -> list[str]:
    """The terms of a block: separated by commas or line ends; `re:` runs to the line's end."""
    terms: list[str] = []
    for raw in block.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("re:"):
            terms.append(line)
            continue
        terms.extend(part.strip() for part in line.split(",") if part.strip())
    return terms


def tokens(term: str) -> Iterator[str]:
    """The pieces of a term: a literal character, " ", "_", "*" or a {macro}; ValueError if bad."""
    i = 0
    while i < len(term):
        char = term[i]
        if char == "{":
            match = _MACRO.match(term, i)
            if match is None:
                raise ValueError(f"term {term!r}: '{{' must open a macro name such as {{person}}")
            last = match.end() == len(term) and term[i - 1 : i] == " "
            if match.group(1).startswith("!") and not last:
                raise ValueError(f"term {term!r}: {{!name}} must end the term, after a space")
            yield match.group(0)
            i = match.end()
            continue
        if char in " _" and (i == 0 or i == len(term) - 1 or term[i + 1] in " _"):
            raise ValueError(f"term {term!r}: a separator must stand between two pieces")
        if char == "*" and (
            i == 0 or not term[i - 1].isalpha() or term[i + 1 : i + 2] not in ("", " ", "_")
        ):
            raise ValueError(f"term {term!r}: '*' may only end a word")
        if char not in _LITERAL and char not in " _*":
            raise ValueError(f"term {term!r}: character {char!r} is not allowed (use lower case)")
        yield char
        i += 1


def check_regex(pattern: str) -> str:
    """A raw pattern must compile, avoid constructs RE2 and Python disagree on, and not match ''."""
    bad = _UNSAFE.search(pattern)
    if bad is not None:
        raise ValueError(
            f"pattern {pattern!r}: {bad.group(0)!r} is not read alike by RE2 and Python"
        )
    try:
        compiled = re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r}: {exc}") from exc
    if compiled.search("") is not None:
        raise ValueError(f"pattern {pattern!r}: matches the empty text")
    return pattern


def _as_block(value: Any) -> Any:
    """A block may be written as a YAML list, and a lone code as a number (5150, not 273.5)."""
    if isinstance(value, list):
        return "\n".join(_as_block(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"write {value!r} in quotes, as a number it may lose digits")
    return value


def _check_block(block: str) -> str:
    """Every term of a block must parse."""
    for term in split_block(block):
        if term.startswith("re:"):
            check_regex(term[3:])
        else:
            list(tokens(term))
    return block


def _check_words(block: str) -> str:
    """A block of single words or phrases without macros (cues, fillers, stops)."""
    for term in split_block(block):
        if "{" in term or "*" in term or term.startswith("re:"):
            raise ValueError(f"term {term!r}: macros, '*' and re: are not allowed here")
        list(tokens(term))
    return block


def _check_keywords(block: str) -> str:
    """A block of single words of letters (a stem may end in '*'), which get typo variants."""
    for term in split_block(block):
        if not term.removesuffix("*").isalpha():
            raise ValueError(f"keyword {term!r}: one word of letters, maybe ending in '*'")
        list(tokens(term))
    return block


def _check_patterns(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """Each raw pattern must be safe."""
    for pattern in patterns:
        check_regex(pattern)
    return patterns


Block = Annotated[str, BeforeValidator(_as_block), AfterValidator(_check_block)]
Words = Annotated[str, BeforeValidator(_as_block), AfterValidator(_check_words)]
Keywords = Annotated[str, BeforeValidator(_as_block), AfterValidator(_check_keywords)]
Patterns = Annotated[tuple[str, ...], AfterValidator(_check_patterns)]


class FlagTerms(BaseModel):
    """The terms of one red flag or need."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    keywords: Keywords = ""
    words: Block = ""
    shorthand: Block = ""
    codes: Words = ""
    negative: Block = ""
    combos: tuple[tuple[Block, Block], ...] = ()
    patterns: Patterns = ()
    implied_by: Words = ""


class NegationRules(BaseModel):
    """How negation is read: cue, fillers, one word and its joined words are deleted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cues: Words = ""
    fillers: Words = ""
    joiners: Words = ""
    stops: Words = ""
    after: Words = ""
    uncertain: Words = ""
    max_fillers: int = Field(default=3, ge=0, le=5)


class LexiconFile(BaseModel):
    """One lexicon YAML file (the shipped one, or a city's additions)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    typo_min_length: int | None = Field(default=None, ge=4, le=12)
    common_words: Words = ""
    macros: dict[Annotated[str, Field(pattern=r"^[a-z_]+$")], Block] = {}
    negation: NegationRules = NegationRules()
    red_flags: dict[RedFlag, FlagTerms] = {}
    needs: dict[Need, FlagTerms] = {}


class Lexicon(BaseModel):
    """The merged lexicon that patterns are compiled from."""

    model_config = ConfigDict(frozen=True)

    sources: tuple[str, ...]
    typo_min_length: int
    common_words: str
    macros: dict[str, tuple[str, ...]]
    negation: NegationRules
    red_flags: dict[RedFlag, FlagTerms]
    needs: dict[Need, FlagTerms]
    real_words: frozenset[str]

    def where(self) -> str:
        """The file names to put in front of an error."""
        return " + ".join(self.sources)


def load_lexicon(*extra: Path, base: Path = DEFAULT_LEXICON) -> Lexicon:
    """The shipped lexicon plus any city files, merged in order; ConfigError names the file."""
    files = [(path, _read(path)) for path in (base, *extra)]
    merged: dict[str, Any] = {"macros": {}, "red_flags": {}, "needs": {}}
    negation: dict[str, Any] = {}
    for _, part in files:
        for name, block in part.macros.items():
            merged["macros"][name] = (*merged["macros"].get(name, ()), *split_block(block))
        for key in ("red_flags", "needs"):
            for name, terms in getattr(part, key).items():
                merged[key][name] = _merge_terms(merged[key].get(name), terms)
        negation = _merge_negation(negation, part.negation)
    typo = next((p.typo_min_length for _, p in files if p.typo_min_length is not None), 5)
    return Lexicon(
        sources=tuple(str(path) for path, _ in files),
        typo_min_length=typo,
        common_words="\n".join(p.common_words for _, p in files),
        macros=merged["macros"],
        negation=NegationRules.model_validate(negation),
        red_flags=merged["red_flags"],
        needs=merged["needs"],
        real_words=frozenset(_real_words()),
    )


def _read(path: Path) -> LexiconFile:
    """Validate one lexicon file, errors naming file and line."""
    data, lines = read_yaml(path)
    try:
        return LexiconFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(explain(path, exc, lines)) from exc


def _join(first: str, second: str) -> str:
    """Two blocks as one."""
    return f"{first}\n{second}" if first and second else first or second


def _merge_terms(old: FlagTerms | None, new: FlagTerms) -> FlagTerms:
    """A flag's terms from an earlier file extended by a later one."""
    if old is None:
        return new
    blocks = {k: _join(getattr(old, k), getattr(new, k)) for k in _BLOCK_FIELDS}
    return FlagTerms(**blocks, combos=old.combos + new.combos, patterns=old.patterns + new.patterns)


_BLOCK_FIELDS = ("keywords", "words", "shorthand", "codes", "negative", "implied_by")


def _merge_negation(old: dict[str, Any], new: NegationRules) -> dict[str, Any]:
    """Negation lists extended; max_fillers from the last file that sets it."""
    result = dict(old)
    for key, value in new.model_dump(exclude_unset=True).items():
        result[key] = value if key == "max_fillers" else _join(result.get(key, ""), value)
    return result


def _real_words() -> Iterable[str]:
    """Words a typo variant must not become: the taxonomy's known words and our list."""
    from importlib import resources

    known = resources.files("altresponse.taxonomy").joinpath("data", "known_words.txt")
    for source, text in (
        ("taxonomy/data/known_words.txt", known.read_text(encoding="utf-8")),
        (str(REAL_WORDS), _text(REAL_WORDS)),
    ):
        for line in text.splitlines():
            if line.strip().startswith("#"):
                continue
            for word in line.lower().split():
                if not word.isalpha():
                    raise ConfigError(f"{source}: {word!r} is not a word of letters")
                yield word


def _text(path: Path) -> str:
    """A data file's text, or ConfigError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
