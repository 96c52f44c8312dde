"""Anchors: for each term, a piece every match of it contains, to build cheap gates from.

A note that holds a term holds its anchor, so an alternation of anchors lets through every note
a term could match, and few others. Gates keep most notes away from the flag patterns.
"""

from __future__ import annotations

from collections.abc import Mapping

from altresponse.triage.narrative_regex import SPACE, WORD_CHARS, Atoms, Trie, paths

MIN_MACRO_ANCHOR = 3  # a macro stands for a term when all its terms have anchors this long
SMALL_MACRO = 80  # a short phrase with macros of at most this many nodes is its own anchor


def anchors(
    trie: Trie, size: tuple[int, int], common: frozenset[str], macros: Mapping[str, Trie]
) -> Trie:
    """For each term of TRIE, a piece that every match of it contains.

    With size = (letters, phrase): the anchor of a word is its first `letters` letters (the
    whole word, bounded, when shorter); of a phrase of literal characters only, at most `phrase`
    of them, the phrase. Otherwise the longest run of literal characters that is not a common
    word, cut to `letters`, or the anchors of one of its macros (MACROS maps a macro's regex to
    the tree of its terms), whichever is longer; failing both, the whole term. A short phrase
    whose macros are small ("hit by {vehicle}") is its own anchor.
    """
    result = Trie()
    for anchor in _Anchors(size, common, macros).of(trie):
        result.add(anchor)
    return result


def macro_weight(trie: Trie, macros: Mapping[str, Trie]) -> int:
    """The nodes that the macros in a tree bring along (a macro in a macro counted in full)."""
    total = 0
    for atom, child in trie.children.items():
        if atom in macros:
            total += macros[atom].size() + macro_weight(macros[atom], macros)
        total += macro_weight(child, macros)
    return total


class _Anchors:
    """Anchors of terms for one anchor size, each macro's worked out once."""

    def __init__(
        self, size: tuple[int, int], common: frozenset[str], macros: Mapping[str, Trie]
    ) -> None:
        self.letters, self.phrase = size
        self.common = common
        self.macros = macros
        self._sizes = {atom: tree.size() for atom, tree in macros.items()}
        self._done: dict[str, tuple[int, list[Atoms]]] = {}

    def of(self, trie: Trie) -> list[Atoms]:
        """The anchors of every term of a tree."""
        return [anchor for atoms in paths(trie) for anchor in self._term(atoms)]

    def _term(self, atoms: Atoms) -> list[Atoms]:
        """The anchors of one term."""
        runs = _literal_runs(atoms)
        if len(runs) == 1 and runs[0][0] == 1 and atoms[0] == r"\b" and "(" not in "".join(atoms):
            start, stop = runs[0]
            return [atoms if stop - start <= self.letters else atoms[: self.letters + 1]]
        big = any(self._sizes.get(atom, 0) > SMALL_MACRO for atom in atoms)
        if sum(b - a for a, b in runs) <= self.phrase and not big:
            return [atoms]
        # (score, literal first, length, anchors): the longest literal run wins a tie
        candidates: list[tuple[int, int, int, list[Atoms]]] = []
        for start, stop in runs:
            if stop - start >= 4 and _text(atoms[start:stop]) not in self.common:
                anchor = _run_anchor(atoms, start, stop, self.letters)
                candidates.append((min(stop - start, self.letters), 1, stop - start, [anchor]))
        for atom in dict.fromkeys(a for a in atoms if a in self.macros):
            score, found = self._macro(atom)
            if score >= MIN_MACRO_ANCHOR:
                candidates.append((score, 0, score, found))
        if not candidates:
            return [atoms]
        return max(candidates, key=lambda c: c[:3])[3]

    def _macro(self, atom: str) -> tuple[int, list[Atoms]]:
        """A macro's anchors and how precise they are: the fewest letters in one."""
        if atom not in self._done:
            found = self.of(self.macros[atom])
            scores = [_letters(anchor, self.common) for anchor in found]
            self._done[atom] = (min(min(scores, default=0), self.letters), found)
        return self._done[atom]


def _run_anchor(atoms: Atoms, start: int, stop: int, letters: int) -> Atoms:
    """A literal run cut to LETTERS, with a word boundary before it when there is one."""
    anchor = atoms[start : min(stop, start + letters)]
    before = atoms[start - 1] if start else ""
    bounded = anchor[0][-1] in WORD_CHARS and before in (r"\b", SPACE)
    return (r"\b", *anchor) if bounded else anchor


def _letters(anchor: Atoms, common: frozenset[str]) -> int:
    """The literal letters of an anchor; none for a lone common word."""
    words = [_text(anchor[a:b]) for a, b in _literal_runs(anchor)]
    lone = len(words) == 1 and anchor[-1] == r"\b"
    return 0 if lone and words[0] in common else sum(map(len, words))


def _text(atoms: Atoms) -> str:
    """The literal text of literal atoms (escapes removed)."""
    return "".join(atom[-1] for atom in atoms)


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
