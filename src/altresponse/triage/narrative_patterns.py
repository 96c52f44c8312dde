"""The patterns of a screening: flags, gates and negation, compiled from the lexicon.

narrative.py runs them in Python and builds the same chain in Ibis; narrative_batch.py (the
staged batch form) reads the fields of Patterns too, so their meaning is part of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from altresponse.errors import ConfigError
from altresponse.triage.flags import Need, RedFlag
from altresponse.triage.narrative_anchors import anchors, macro_weight
from altresponse.triage.narrative_lexicon import FlagTerms, Lexicon, split_block
from altresponse.triage.narrative_regex import (
    GAP,
    NEVER,
    TermCompiler,
    Trie,
    codes_regex,
    joiners_regex,
    merge,
    word_except,
)

# Anchor sizes (word letters, phrase letters) a gate tries in turn, keeping the first whose
# prefix tree has at most GATE_NODES nodes and whose macros bring at most GATE_MACRO_NODES more:
# a bigger tree overflows RE2's automaton cache in DuckDB and the search becomes some 30 times
# slower (docs/narrative.md, Speed).
ANCHOR_SIZES = ((6, 16), (6, 12), (6, 8), (6, 0), (5, 0), (4, 0), (3, 0))
GATE_NODES = 6000
GATE_MACRO_NODES = 4000


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


class _Builder:
    """Assembles the patterns of a lexicon."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.compiler = TermCompiler(lexicon)

    def flag(self, terms: FlagTerms) -> tuple[str | None, Trie, list[str]]:
        """A flag's pattern, plus what its gate needs: a tree of terms and the raw patterns.

        For a combo, the gate needs only the terms of its first block: both must be present.
        """
        c = self.compiler
        trie = c.trie(split_block(terms.keywords), typos=True)
        blocks = (terms.words, terms.shorthand, terms.negative)
        merge(trie, c.trie(term for block in blocks for term in split_block(block)))
        raw = [r for r in (codes_regex(split_block(terms.codes)), *terms.patterns) if r]
        anchored = Trie()
        merge(anchored, trie)
        combos = []
        for first, second in terms.combos:
            a, b = c.trie(split_block(first)), c.trie(split_block(second))
            combos.append(f"{a.regex()}(?s:.)*{b.regex()}|{b.regex()}(?s:.)*{a.regex()}")
            merge(anchored, a)
        pieces = [p for p in (trie.regex(), *raw, *combos) if p]
        return ("|".join(pieces) if pieces else None), anchored, raw

    def negation(self) -> tuple[str, str]:
        """The negation pattern and its gate (a note it does not match is left as it is).

        Negative phrases are kept (group 1); uncertainty, negated stretches and 'x: no' go.
        """
        rules, c = self.lexicon.negation, self.compiler
        keep = Trie()
        for terms in (*self.lexicon.red_flags.values(), *self.lexicon.needs.values()):
            for term in split_block(terms.negative):
                keep.add(c.atoms(term))
        uncertain = c.trie(split_block(rules.uncertain))
        cues = c.trie(split_block(rules.cues))
        after = c.trie(split_block(rules.after)).regex()
        word = word_except(split_block(rules.stops))
        fill = c.trie(split_block(rules.fillers)).regex() or NEVER
        joined = f"(?:(?:{joiners_regex(split_block(rules.joiners))})(?:{fill}{GAP}){{0,2}}{word})*"
        alternatives = [f"({keep.regex() or NEVER})", uncertain.regex()]
        if cues.children:
            fillers = f"(?:{GAP}{fill}){{0,{rules.max_fillers}}}"
            alternatives.append(f"{cues.regex()}{fillers}{GAP}{word}{joined}")
        if after:
            alternatives.append(rf"{word}[ \t]*[:=?][ \t]*{after}")
        starts = Trie()
        for trie in (keep, uncertain, cues):
            merge(starts, trie)
        gate = [starts.regex()] + ([rf"[:=?][ \t]*{after}"] if after else [])
        return "|".join(a for a in alternatives if a), "|".join(g for g in gate if g) or NEVER


def compile_patterns(lexicon: Lexicon) -> Patterns:
    """All patterns of a lexicon; ConfigError if a term, macro or implied flag is bad."""
    builder = _Builder(lexicon)
    red = _Gate()
    red_flags = {flag: red.add(builder, lexicon.red_flags.get(flag)) for flag in RedFlag}
    need = _Gate()
    needs = {n: need.add(builder, lexicon.needs.get(n)) for n in Need}
    both = _Gate()
    for gate in (red, need):
        merge(both.terms, gate.terms)
        both.raw.extend(gate.raw)
    negation, negation_gate = builder.negation()
    common = frozenset(split_block(lexicon.common_words))
    macros = builder.compiler.macro_trees
    return Patterns(
        prefilter=both.regex(common, macros),
        negation=negation,
        negation_gate=negation_gate,
        red_flag_gate=red.regex(common, macros),
        need_gate=need.regex(common, macros),
        red_flags=red_flags,
        needs=needs,
        implied=_implied(lexicon),
    )


@dataclass
class _Gate:
    """A cheap pattern that every match of the flags behind it also matches."""

    terms: Trie = field(default_factory=Trie)
    raw: list[str] = field(default_factory=list)

    def add(self, builder: _Builder, terms: FlagTerms | None) -> str | None:
        """Compile one flag's terms, remember what the gate needs, return its pattern."""
        if terms is None:
            return None
        pattern, anchored, raw = builder.flag(terms)
        merge(self.terms, anchored)
        self.raw.extend(raw)
        return pattern

    def regex(self, common: frozenset[str], macros: Mapping[str, Trie]) -> str:
        """The gate's pattern with the most precise anchors that fit (never matching if empty)."""
        for size in ANCHOR_SIZES:
            tree = anchors(self.terms, size, common, macros)
            if tree.size() <= GATE_NODES and macro_weight(tree, macros) <= GATE_MACRO_NODES:
                break
        return "|".join(p for p in (tree.regex(), *self.raw) if p) or NEVER


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
