"""Words of dispatch: abbreviations, statute numbers and a vocabulary for correcting typos."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from altresponse.taxonomy._datafile import package_text, read_rows
from altresponse.taxonomy.text import normalize_local_type

_DOTTED = re.compile(r"(?<![A-Z0-9])(?:[A-Z]\. ?)+[A-Z](?![A-Z0-9])\.?")  # D.U.I., D. O. A.
_TEN_CODE = re.compile(r"(?<![A-Z0-9])\d{1,2}-\d{1,3}[A-Z]?(?![A-Z0-9])")  # 10-52, 11-6
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_PIECE = re.compile(r"[^\W\d_]+|\d+| - |[()\[\];]")  # words, numbers and segment breaks
_NEGATES_SEGMENT = frozenset({"NO", "NOT", "WITHOUT", "EXCL", "EXCLUDING", "EXCLUDES", "EXCEPT"})
_NEGATES_NEXT = frozenset({"NON"})
_MIN_CORRECTED = 4  # shorter unknown tokens are left alone: too many false friends


@dataclass(frozen=True, slots=True)
class Analysis:
    """A call type as the rules see it: expanded words between spaces, and which were guessed."""

    text: str
    corrected: tuple[tuple[int, int], ...]

    @property
    def empty(self) -> bool:
        """No word survived (only numbers, codes or punctuation)."""
        return not self.text.strip()

    def guessed(self, spans: Iterable[tuple[int, int]]) -> bool:
        """Whether any span overlaps a word that typo correction supplied."""
        return any(s < ce and cs < e for s, e in spans for cs, ce in self.corrected)


class _Negation:
    """Which words a negation covers: NON the next word, NO/NOT/WITHOUT/EXCL the segment's rest.

    "DIST - DV - NO ASLT" is a disturbance, not an assault; the negated words are kept in lower
    case, which rules (written in upper case) do not match unless they ask for it. A NO that
    opens the call type ("NO PARKING", "NO HEAT") names the problem and negates nothing.
    """

    def __init__(self) -> None:
        self._segment = False
        self._next = False

    def end_segment(self) -> None:
        """A separator (" - ", brackets, ";") ends a negation's reach."""
        self._segment = self._next = False

    def applies(self, words: tuple[str, ...], *, first: bool) -> bool:
        """Whether these words are negated; a negator itself starts a negation."""
        negated = self._segment or self._next
        self._next = False
        if len(words) == 1 and not first:
            self._segment |= words[0] in _NEGATES_SEGMENT
            self._next = words[0] in _NEGATES_NEXT
        return negated


class Lexicon:
    """Expands abbreviations and corrects misspelt or truncated words against a vocabulary."""

    def __init__(
        self,
        phrases: Iterable[tuple[str, str]],
        abbreviations: Mapping[str, tuple[str, ...]],
        words: Iterable[str],
        stems: Iterable[str] = (),
    ) -> None:
        self._phrases = dict((p, f" {e} ") for p, e in phrases)
        # One alternation in file order: at each position the first listed phrase wins.
        alternatives = "|".join(_phrase_pattern(p) for p in self._phrases)
        self._phrase_pattern = re.compile(alternatives) if alternatives else None
        self._abbreviations = dict(abbreviations)
        self._words = frozenset(words)
        self._stems = tuple(sorted(set(stems)))
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self._words):
            self._by_initial.setdefault(word[0], []).append(word)
        self._cache: dict[tuple[str, bool], str | None] = {}

    def analyse(self, local_type: str) -> Analysis:
        """Normalise, expand and correct a call type into the text the rules match."""
        text = _DOTTED.sub(_undot, normalize_local_type(local_type))
        if self._phrase_pattern is not None:
            text = self._phrase_pattern.sub(lambda m: self._phrases[m.group(0)], text)
        pieces = _PIECE.findall(_TEN_CODE.sub(" ", text))
        last_word = max((i for i, p in enumerate(pieces) if p[0].isalnum()), default=-1)
        parts: list[str] = [" "]
        corrected: list[tuple[int, int]] = []
        negation = _Negation()
        for index, piece in enumerate(pieces):
            if not piece[0].isalnum():
                negation.end_segment()
                continue
            words, guessed = self._expand(piece, last=index == last_word)
            negated = negation.applies(words, first=len(parts) == 1)
            for word in words:
                offset = sum(map(len, parts))
                if guessed:
                    corrected.append((offset, offset + len(word)))
                parts.append((word.lower() if negated else word) + " ")
        return Analysis("".join(parts), tuple(corrected))

    def _expand(self, token: str, *, last: bool) -> tuple[tuple[str, ...], bool]:
        """The words a token stands for, and whether they are a guess."""
        expansion = self._abbreviations.get(token)
        if expansion is not None:
            return expansion, False
        if token.isdigit():
            return ((token,) if token == "911" else ()), False
        if self.known(token) or len(token) < _MIN_CORRECTED:
            return (token,), False
        fixed = self.correct(token, last=last)
        return ((fixed,), True) if fixed else ((token,), False)

    def known(self, token: str) -> bool:
        """Whether a word is in the vocabulary (plurals and stems included)."""
        if token in self._words or token.startswith(self._stems):
            return True
        return token.endswith("S") and (token[:-1] in self._words or token[:-2] in self._words)

    def correct(self, token: str, *, last: bool = False) -> str | None:
        """The vocabulary word a misspelt or truncated token most likely is, if any."""
        key = (token, last)
        if key not in self._cache:
            self._cache[key] = self._correct(token, last=last)
        return self._cache[key]

    def _correct(self, token: str, *, last: bool) -> str | None:
        """Truncation first (field-length limits cut the last word), then one or two typos."""
        candidates = self._by_initial.get(token[0], [])
        if last or len(token) >= 6:
            longer = [w for w in candidates if w.startswith(token)]
            if longer:
                return min(longer, key=lambda w: (len(w), w))
        if len(token) < 5:
            return None
        limit = 1 if len(token) < 7 else 2
        near = [w for w in candidates if abs(len(w) - len(token)) <= limit]
        best = process.extractOne(token, near, scorer=OSA.distance, score_cutoff=limit)
        return best[0] if best else None


def _undot(match: re.Match[str]) -> str:
    """Initials written with dots (D.U.I., D. O. A.) as one word."""
    return match.group(0).replace(".", "").replace(" ", "")


def _phrase_pattern(phrase: str) -> str:
    """A literal phrase that only matches where it is not part of a longer word."""
    left = r"(?<![A-Z0-9])" if phrase[0].isalnum() else ""
    right = r"(?![A-Z0-9])" if phrase[-1].isalnum() else ""
    return left + re.escape(phrase) + right


def load_abbreviations() -> tuple[list[tuple[str, str]], dict[str, tuple[str, ...]]]:
    """abbreviations.csv: phrases (replaced in file order) and single words or numbers."""
    text, source = package_text("abbreviations.csv")
    phrases: list[tuple[str, str]] = []
    tokens: dict[str, tuple[str, ...]] = {}
    for row in read_rows(text, source, ("abbreviation", "expansion"), ("note",)):
        short = row.values["abbreviation"].upper()
        expansion = normalize_local_type(row.values["expansion"])
        if not short:
            raise row.fail("abbreviation is blank")
        if re.fullmatch(r"[A-Z]+|[0-9]+", short):
            if short in tokens:
                raise row.fail(f"duplicate abbreviation {short!r}")
            tokens[short] = tuple(_TOKEN.findall(expansion))
        else:
            phrases.append((short, expansion))
    return phrases, tokens


def load_known_words() -> set[str]:
    """known_words.txt: ordinary dispatch words that are never 'corrected' into something else."""
    text, _ = package_text("known_words.txt")
    words: set[str] = set()
    for line in text.splitlines():
        words.update(normalize_local_type(line.split("#", 1)[0]).split())
    return words
