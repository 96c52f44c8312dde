r"""Compile the narrative lexicon into regular expressions that Python's re and RE2 read alike.

Only constructs both engines share are emitted: literal characters, classes, `\b`, groups,
alternation, `*`, `?`, `{m,n}` and `(?s:.)`; never lookarounds, backreferences or `\s`.
Alternatives are factored into a prefix tree, which keeps RE2's automaton small and spares
Python's backtracking engine from trying thousands of alternatives at each position.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from altresponse.errors import ConfigError
from altresponse.triage.flags import Need, RedFlag
from altresponse.triage.narrative_lexicon import FlagTerms, Lexicon, split_block, tokens

SPACE = r"[ \t\r\n]+"
OPTIONAL_SPACE = r"[ \t\r\n-]*"
GAP = r"[ \t\r\n-]+"
NEVER = r"\b\B"
# Anchors (word letters, phrase letters) of the prefilter, run on every note, and of the two
# gates, run on the notes it lets through: see _anchors; measured in docs/narrative.md.
PREFILTER_ANCHOR = (5, 10)
GATE_ANCHOR = (6, 16)
_SPECIAL = frozenset(".^$*+?()[]{}|\\")
_WORD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_CODE_BEFORE = r"\b(?:pc|p\.c\.|penal code|hs|h&s|vc|wic|w&i)[ \t]*"
_CODE_AFTER = r"(?:[ \t]*(?:pc|p\.c|hs|h&s|vc|wic)\b|[ \t]*\(|'(?:d|ed|ing)\b)"

Atoms = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Patterns:
    """Every regular expression of a screening, as text for both engines."""

    prefilter: str
    negation: str
    negation_gate: str
    red_flag_gate: str
    need_gate: str
    red_flags: dict[RedFlag, str | None]
    needs: dict[Need, str | None]
    implied: dict[Need, frozenset[RedFlag]]


@dataclass
class _Trie:
    """A prefix tree of atom sequences, printed as one factored alternation."""

    children: dict[str, _Trie] = field(default_factory=dict)
    end: bool = False

    def add(self, atoms: Atoms) -> None:
        """Insert one sequence."""
        node = self
        for atom in atoms:
            node = node.children.setdefault(atom, _Trie())
        node.end = True

    def regex(self) -> str:
        """The alternation; empty when nothing was added."""
        alternatives = [atom + child.regex() for atom, child in sorted(self.children.items())]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        return f"(?:{body})?" if self.end else body


class _Compiler:
    """Turns terms into atom sequences, with macros and typo variants."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._macros: dict[str, str] = {}
        self._busy: set[str] = set()
        words = set(lexicon.real_words) | set(self._lexicon_words())
        self._real = sorted(words)

    def _lexicon_words(self) -> Iterable[str]:
        """Every word of letters that the lexicon itself uses."""
        lex = self._lexicon
        blocks = [*lex.macros.values()] + [
            split_block(b)
            for terms in (*lex.red_flags.values(), *lex.needs.values())
            for b in (terms.words, terms.shorthand, terms.negative, *sum(terms.combos, ()))
        ]
        blocks.append(
            split_block("\n".join(lex.negation.model_dump(exclude={"max_fillers"}).values()))
        )
        for block in blocks:
            for term in block:
                for word in term.replace("_", " ").replace("*", " ").split():
                    if word.isalpha():
                        yield word

    def atoms(self, term: str) -> Atoms:
        """One term as atoms: escaped characters, separators, classes and macro groups."""
        if term.startswith("re:"):
            return (f"(?:{term[3:]})",)
        pieces = list(tokens(term))
        atoms = [self._atom(piece) for piece in pieces]
        if pieces[0][0] in _WORD_CHARS:
            atoms.insert(0, r"\b")
        if pieces[-1] == "*" or pieces[-1][0] in _WORD_CHARS:
            atoms.append(r"\b")
        return tuple(atoms)

    def _atom(self, piece: str) -> str:
        """The regex of one piece of a term."""
        if piece.startswith("{"):
            return self.macro(piece[1:-1])
        special = {" ": SPACE, "_": OPTIONAL_SPACE, "*": "[a-z]*"}
        if piece in special:
            return special[piece]
        return _escape(piece)

    def macro(self, name: str) -> str:
        """A macro as one group of its terms (macros may use macros, but not in a cycle)."""
        if name in self._macros:
            return self._macros[name]
        if name not in self._lexicon.macros:
            raise ConfigError(f"{self._lexicon.where()}: unknown macro {{{name}}}")
        if name in self._busy:
            raise ConfigError(f"{self._lexicon.where()}: macro {{{name}}} refers to itself")
        self._busy.add(name)
        self._macros[name] = f"(?:{self.trie(self._lexicon.macros[name]).regex()})"
        self._busy.discard(name)
        return self._macros[name]

    def trie(self, terms: Iterable[str], *, typos: bool = False) -> _Trie:
        """A prefix tree of terms, with their typo variants when asked."""
        trie = _Trie()
        for term in terms:
            for variant in self.variants(term) if typos else (term,):
                trie.add(self.atoms(variant))
        return trie

    def variants(self, term: str) -> list[str]:
        """A one-word term and its typo variants (letter dropped or swapped) that are not words."""
        stem = term.removesuffix("*")
        if not stem.isalpha() or len(stem) < self._lexicon.typo_min_length:
            return [term]
        star = term[len(stem) :]
        typos = sorted(_typos(stem) - {stem})
        return [term] + [t + star for t in typos if not self._is_real(t, prefix=bool(star))]

    def _is_real(self, word: str, *, prefix: bool) -> bool:
        """Whether a variant is a real word (or, for a stem, the start of one)."""
        at = bisect.bisect_left(self._real, word)
        if at == len(self._real):
            return False
        return self._real[at].startswith(word) if prefix else self._real[at] == word


def _escape(text: str) -> str:
    """Literal text as a regex (only the characters special to both engines are escaped)."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def _typos(word: str) -> set[str]:
    """Every spelling with one letter dropped or two neighbouring letters swapped."""
    dropped = {word[:i] + word[i + 1 :] for i in range(len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return dropped | swapped


def _codes_regex(codes: list[str]) -> str:
    """Statute numbers with context: PC 245, 245 PC, 245(a), 245'd; never a bare number."""
    if not codes:
        return ""
    alternation = "|".join(sorted(_escape(c) for c in codes))
    return rf"{_CODE_BEFORE}(?:{alternation})\b|\b(?:{alternation}){_CODE_AFTER}"


def _word_except(stops: Iterable[str]) -> str:
    """A whole word of letters and digits that is none of the stop words (no lookahead)."""
    trie = _Trie()
    for stop in stops:
        trie.add(tuple(stop))
    return rf"\b{_complement(trie, root=True)}\b"


def _char_class(chars: Iterable[str]) -> str:
    """A character class of letters and digits, with runs written as ranges ([ac-z0-9])."""
    codes = sorted(ord(c) for c in chars)
    runs: list[list[int]] = []
    for code in codes:
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    parts = [chr(a) + (("-" if b > a + 1 else "") + chr(b) if b > a else "") for a, b in runs]
    return f"[{''.join(parts)}]" if parts else ""


def _complement(node: _Trie, *, root: bool) -> str:
    """Strings that continue the path to `node` into a word that is not in the tree."""
    others = _char_class(c for c in _WORD_CHARS if c not in node.children)
    alternatives = [f"{others}[a-z0-9]*"] if others else []
    for char, child in sorted(node.children.items()):
        alternatives.append(char + _complement(child, root=False))
    group = f"(?:{'|'.join(alternatives)})"
    if node.end:
        return group
    return group if root else f"{group}?"


class _Builder:
    """Assembles the patterns of a lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.compiler = _Compiler(lexicon)

    def flag(self, terms: FlagTerms) -> tuple[str | None, _Trie, list[str]]:
        """A flag's pattern, plus what its gate needs: a tree of terms and the raw patterns.

        For a combo, the gate needs only the terms of its first block: both must be present.
        """
        c = self.compiler
        trie = c.trie(split_block(terms.words), typos=True)
        for block in (terms.shorthand, terms.negative):
            for term in split_block(block):
                trie.add(c.atoms(term))
        raw = [r for r in (_codes_regex(split_block(terms.codes)), *terms.patterns) if r]
        anchored = _Trie()
        _merge(anchored, trie)
        combos = []
        for first, second in terms.combos:
            a, b = c.trie(split_block(first)), c.trie(split_block(second))
            combos.append(f"{a.regex()}(?s:.)*{b.regex()}|{b.regex()}(?s:.)*{a.regex()}")
            _merge(anchored, a)
        pieces = [p for p in (trie.regex(), *raw, *combos) if p]
        return ("|".join(pieces) if pieces else None), anchored, raw

    def negation(self) -> tuple[str, str]:
        """The negation pattern and its gate (a note it does not match is left as it is).

        Negative phrases are kept (group 1); uncertainty, negated stretches and 'x: no' go.
        """
        rules, c = self.lexicon.negation, self.compiler
        keep = _Trie()
        for terms in (*self.lexicon.red_flags.values(), *self.lexicon.needs.values()):
            for term in split_block(terms.negative):
                keep.add(c.atoms(term))
        uncertain = c.trie(split_block(rules.uncertain))
        cues = c.trie(split_block(rules.cues))
        after = c.trie(split_block(rules.after)).regex()
        word = _word_except(split_block(rules.stops))
        fill = c.trie(split_block(rules.fillers)).regex() or NEVER
        joined = f"(?:(?:{_joiners(split_block(rules.joiners))})(?:{fill}{GAP}){{0,2}}{word})*"
        alternatives = [f"({keep.regex() or NEVER})", uncertain.regex()]
        if cues.children:
            fillers = f"(?:{GAP}{fill}){{0,{rules.max_fillers}}}"
            alternatives.append(f"{cues.regex()}{fillers}{GAP}{word}{joined}")
        if after:
            alternatives.append(rf"{word}[ \t]*[:=?][ \t]*{after}")
        starts = _Trie()
        for trie in (keep, uncertain, cues):
            _merge(starts, trie)
        gate = [starts.regex()] + ([rf"[:=?][ \t]*{after}"] if after else [])
        return "|".join(a for a in alternatives if a), "|".join(g for g in gate if g) or NEVER


def _joiners(joiners: list[str]) -> str:
    """Words and signs that join a second negated word to the first ("no SI/HI")."""
    signs = [rf"[ \t\r\n]*{_escape(j)}[ \t\r\n]*" for j in joiners if not j.isalnum()]
    words = [f"{SPACE}{j}{SPACE}" for j in joiners if j.isalnum()]
    return "|".join(signs + words) or NEVER


def _anchors(trie: _Trie, word_chars: int, phrase_chars: int) -> _Trie:
    """For each term, a piece that every match of it contains.

    A note that holds a term holds its anchor, so the anchors make a cheap gate that lets
    through every note a term could match, and few others. The anchor of a word is its first
    `word_chars` letters (the whole word, bounded, when shorter); of a phrase with at most
    `phrase_chars` literal characters, the phrase; of a longer one, its longest run of literal
    characters, cut to `word_chars`.
    """
    result = _Trie()
    for atoms in _paths(trie):
        runs = _literal_runs(atoms)
        literal = sum(stop - start for start, stop in runs)
        if len(runs) == 1 and runs[0][0] == 1 and atoms[0] == r"\b" and "(" not in "".join(atoms):
            start, stop = runs[0]
            result.add(atoms if stop - start <= word_chars else atoms[: word_chars + 1])
        elif literal <= phrase_chars or max((b - a for a, b in runs), default=0) < 3:
            result.add(atoms)
        else:
            start, stop = max(reversed(runs), key=lambda run: run[1] - run[0])
            anchor = atoms[start : min(stop, start + word_chars)]
            before = atoms[start - 1] if start else ""
            bounded = anchor[0][-1] in _WORD_CHARS and before in (r"\b", SPACE, OPTIONAL_SPACE)
            result.add((r"\b", *anchor) if bounded else anchor)
    return result


def _literal_runs(atoms: Atoms) -> list[tuple[int, int]]:
    """Start and stop of each run of literal characters."""
    runs: list[tuple[int, int]] = []
    for i, atom in enumerate(atoms):
        if _is_literal(atom):
            if runs and runs[-1][1] == i:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
    return runs


def _is_literal(atom: str) -> bool:
    """Whether an atom is one literal character (maybe escaped)."""
    return len(atom) == 1 or (len(atom) == 2 and atom[0] == "\\" and atom != r"\b")


def _paths(trie: _Trie) -> list[Atoms]:
    """Every sequence stored in a tree."""
    found: list[Atoms] = []

    def walk(node: _Trie, path: Atoms) -> None:
        if node.end:
            found.append(path)
        for atom, child in node.children.items():
            walk(child, (*path, atom))

    walk(trie, ())
    return found


def _merge(into: _Trie, other: _Trie) -> None:
    """Add every sequence of `other` to `into`."""
    for path in _paths(other):
        into.add(path)


def compile_patterns(lexicon: Lexicon) -> Patterns:
    """All patterns of a lexicon; ConfigError if a term, macro or implied flag is bad."""
    builder = _Builder(lexicon)
    red = _Gate()
    red_flags = {flag: red.add(builder, lexicon.red_flags.get(flag)) for flag in RedFlag}
    need = _Gate()
    needs = {n: need.add(builder, lexicon.needs.get(n)) for n in Need}
    both = _Gate()
    for gate in (red, need):
        _merge(both.terms, gate.terms)
        both.raw.extend(gate.raw)
    negation, negation_gate = builder.negation()
    return Patterns(
        prefilter=both.regex(*PREFILTER_ANCHOR),
        negation=negation,
        negation_gate=negation_gate,
        red_flag_gate=red.regex(*GATE_ANCHOR),
        need_gate=need.regex(*GATE_ANCHOR),
        red_flags=red_flags,
        needs=needs,
        implied=_implied(lexicon),
    )


@dataclass
class _Gate:
    """A cheap pattern that every match of the flags behind it also matches."""

    terms: _Trie = field(default_factory=_Trie)
    raw: list[str] = field(default_factory=list)

    def add(self, builder: _Builder, terms: FlagTerms | None) -> str | None:
        """Compile one flag's terms, remember what the gate needs, return its pattern."""
        if terms is None:
            return None
        pattern, anchored, raw = builder.flag(terms)
        _merge(self.terms, anchored)
        self.raw.extend(raw)
        return pattern

    def regex(self, word_chars: int, phrase_chars: int) -> str:
        """The gate's pattern (never matching when there is nothing behind it)."""
        anchors = _anchors(self.terms, word_chars, phrase_chars)
        return "|".join(p for p in (anchors.regex(), *self.raw) if p) or NEVER


def _implied(lexicon: Lexicon) -> dict[Need, frozenset[RedFlag]]:
    """The needs that a red flag brings along (a suicide plan implies suicidal ideation)."""
    implied: dict[Need, frozenset[RedFlag]] = {}
    for need, terms in lexicon.needs.items():
        names = split_block(terms.implied_by)
        unknown = [n for n in names if n not in RedFlag.__members__.values()]
        if unknown:
            raise ConfigError(f"{lexicon.where()}: needs.{need}.implied_by: unknown {unknown}")
        if names:
            implied[need] = frozenset(RedFlag(n) for n in names)
    return implied
