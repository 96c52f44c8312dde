"""Call-taker notes for Sample City: a line of the call's group plus weighted extra phrases."""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

from altresponse.samplecity.profile import NarrativeGroup


@dataclass(frozen=True)
class _Choice:
    """A weighted list of phrases, ready for drawing."""

    phrases: tuple[str, ...]
    cum_weights: tuple[float, ...]


@dataclass(frozen=True)
class NoteWriter:
    """Writes notes for one narrative group."""

    lines: tuple[str, ...]
    choices: tuple[_Choice, ...]

    @classmethod
    def of(cls, group: NarrativeGroup) -> NoteWriter:
        """A writer for a group from narratives.yaml."""
        choices = tuple(
            _Choice(tuple(add), tuple(accumulate(add.values()))) for add in group.add if add
        )
        return cls(tuple(group.lines), choices)

    def write(self, rng: random.Random) -> str:
        """One note, e.g. 'SON OFF MEDS, AGITATED, NO WEAPONS SEEN'."""
        parts = [rng.choice(self.lines)]
        for choice in self.choices:
            phrase = rng.choices(choice.phrases, cum_weights=choice.cum_weights)[0]
            if phrase:
                parts.append(phrase)
        return ", ".join(parts)
