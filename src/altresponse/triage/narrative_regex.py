r"""Regular-expression building blocks that Python's re and RE2 read alike: terms, trees, anchors.

Only constructs both engines share are emitted: literal characters, classes, `\b`, groups,
alternation, `*`, `?`, `{m,n}` and `(?s:.)`; never lookarounds, backreferences or `\s`. The one
`$` is END below: Python's `$` also matches before a final line end, RE2's only at the very end,
but after a class that takes line ends both give the same answer.
Alternatives are factored into a prefix tree, which keeps RE2's automaton small and spares
Python's backtracking engine from trying thousands of alternatives at each position.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from altresponse.errors import ConfigError
from altresponse.triage.narrative_lexicon import FlagTerms, Lexicon, split_block, tokens

SPACE = r"[ \t\r\n]+"
OPTIONAL_SPACE = r"[ \t\r\n-]*"
GAP = r"[ \t\r\n-]+"
NEVER = r"\b\B"
END = r"[ \t\r\n]*$"
_SPECIAL = frozenset(".^$*+?()[]{}|\\")
WORD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_CODE_BEFORE = r"\b(?:pc|p\.c\.|penal code|hs|h&s|vc|wic|w&i)[ \t]*"
_CODE_AFTER = r"(?:[ \t]*(?:pc|p\.c|hs|h&s|vc|wic)\b|[ \t]*\(|'(?:d|ed|ing)\b)"

Atoms = tuple[str, ...]


@dataclass
class Trie:
    """A prefix tree of atom sequences, printed as one factored alternation."""

    children: dict[str, Trie] = field(default_factory=dict)
    end: bool = False

    def add(self, atoms: Atoms) -> None:
        """Insert one sequence."""
        node = self
        for atom in atoms:
            node = node.children.setdefault(atom, Trie())
        node.end = True

    def size(self) -> int:
        """The number of nodes."""
        return 1 + sum(child.size() for child in self.children.values())

    def regex(self) -> str:
        """The alternation; empty when nothing was added."""
        alternatives = [atom + child.regex() for atom, child in sorted(self.children.items())]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"
        return f"(?:{body})?" if self.end else body


class TermCompiler:
    """Turns terms into atom sequences, with macros and typo variants."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._macros: dict[str, str] = {}
        self.macro_trees: dict[str, Trie] = {}  # a macro's regex -> the tree of its terms
        self._busy: set[str] = set()
        words = set(lexicon.real_words) | set(self._lexicon_words())
        self._real = sorted(words)
        groups = (*lexicon.red_flags.values(), *lexicon.needs.values())
        self._keywords = {k for terms in groups for k in split_block(terms.keywords)}

    def _lexicon_words(self) -> Iterable[str]:
        """Every word of letters that the lexicon itself uses."""
        lex = self._lexicon
        blocks = [*lex.macros.values()] + [
            split_block(b)
            for terms in (*lex.red_flags.values(), *lex.needs.values())
            for b in (
                terms.keywords,
                terms.words,
                terms.shorthand,
                terms.negative,
                *combo_blocks(terms),
            )
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
        if pieces[-1].startswith("{!"):
            del atoms[-2]  # the space before {!name}: its pattern reads the space itself
        if pieces[0][0] in WORD_CHARS:
            atoms.insert(0, r"\b")
        if pieces[-1] == "*" or pieces[-1][0] in WORD_CHARS:
            atoms.append(r"\b")
        return tuple(atoms)

    def _atom(self, piece: str) -> str:
        """The regex of one piece of a term."""
        if piece.startswith("{!"):
            return self.not_followed(piece[2:-1])
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
        tree = self.trie(self._lexicon.macros[name])
        self._macros[name] = f"(?:{tree.regex()})"
        self.macro_trees[self._macros[name]] = tree
        self._busy.discard(name)
        return self._macros[name]

    def not_followed(self, name: str) -> str:
        """The end of the note, a sign, or a word that is not one of macro NAME's words.

        For "{!self}" in "threatening to {harm} {!self}": a threat to others, not to oneself.
        """
        if name not in self._lexicon.macros:
            raise ConfigError(f"{self._lexicon.where()}: unknown macro {{!{name}}}")
        words = self._lexicon.macros[name]
        if not all(word.isalpha() for word in words):
            raise ConfigError(f"{self._lexicon.where()}: {{!{name}}} needs a macro of words")
        sign = r"[^a-z0-9 \t\r\n/'&_-]|[ \t\r\n]+[^a-z0-9 \t\r\n]"  # not "kill/hurt himself"
        return f"(?:{SPACE}{word_except(words)}|{sign}|{END})"

    def trie(self, terms: Iterable[str], *, typos: bool = False) -> Trie:
        """A prefix tree of terms, with typo variants when asked and for keywords anywhere."""
        trie = Trie()
        for term in terms:
            wanted = typos or term in self._keywords
            for variant in self.variants(term) if wanted else (term,):
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


def typo_collisions(lexicon: Lexicon, dictionary: Iterable[str]) -> set[str]:
    """Dictionary words a keyword's typo variant would be (or, for a stem, would begin).

    A maintenance aid: the words found belong in data/narrative_real_words.txt.
    """
    words = sorted(set(dictionary))
    found: set[str] = set()
    for terms in (*lexicon.red_flags.values(), *lexicon.needs.values()):
        for keyword in split_block(terms.keywords):
            stem = keyword.removesuffix("*")
            if len(stem) < lexicon.typo_min_length:
                continue
            for typo in _typos(stem) - {stem}:
                at = bisect.bisect_left(words, typo)
                while at < len(words) and words[at].startswith(typo):
                    if words[at] == typo or (
                        keyword.endswith("*") and not words[at].startswith(stem)
                    ):
                        found.add(words[at])
                        break
                    at += 1
    return found


def combo_blocks(terms: FlagTerms) -> list[str]:
    """The blocks of a flag's combos."""
    return [block for pair in terms.combos for block in pair]


def _typos(word: str) -> set[str]:
    """Every spelling with one letter dropped, doubled, or two neighbouring letters swapped."""
    dropped = {word[:i] + word[i + 1 :] for i in range(len(word))}
    doubled = {word[: i + 1] + word[i:] for i in range(len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return dropped | doubled | swapped


def codes_regex(codes: list[str]) -> str:
    """Statute numbers with context: PC 245, 245 PC, 245(a), 245'd; never a bare number."""
    if not codes:
        return ""
    alternation = "|".join(sorted(_escape(c) for c in codes))
    return rf"{_CODE_BEFORE}(?:{alternation})\b|\b(?:{alternation}){_CODE_AFTER}"


def word_except(stops: Iterable[str]) -> str:
    """A whole word of letters and digits that is none of the stop words (no lookahead)."""
    trie = Trie()
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


def _complement(node: Trie, *, root: bool) -> str:
    """Strings that continue the path to `node` into a word that is not in the tree."""
    others = _char_class(c for c in WORD_CHARS if c not in node.children)
    alternatives = [f"{others}[a-z0-9]*"] if others else []
    for char, child in sorted(node.children.items()):
        alternatives.append(char + _complement(child, root=False))
    group = f"(?:{'|'.join(alternatives)})"
    if node.end:
        return group
    return group if root else f"{group}?"


def joiners_regex(joiners: list[str]) -> str:
    """Words and signs that join a second negated word to the first ("no SI/HI").

    A sign joins only when written tight: "SI/HI" is one list, "NO INJURIES / W/ GUN" two clauses.
    """
    signs = [_escape(j) for j in joiners if not j.isalnum()]
    words = [f"{SPACE}{j}{SPACE}" for j in joiners if j.isalnum()]
    return "|".join(signs + words) or NEVER


def paths(trie: Trie) -> list[Atoms]:
    """Every sequence stored in a tree."""
    found: list[Atoms] = []

    def walk(node: Trie, path: Atoms) -> None:
        if node.end:
            found.append(path)
        for atom, child in node.children.items():
            walk(child, (*path, atom))

    walk(trie, ())
    return found


def merge(into: Trie, other: Trie) -> None:
    """Add every sequence of `other` to `into`."""
    for path in paths(other):
        into.add(path)
