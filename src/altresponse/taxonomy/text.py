"""Normalisation of agency call-type text: one canonical spelling per call type."""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "_": " ",
    }
)
_SPACES = re.compile(r"\s+")
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACED_DASH = re.compile(r" ?- | -")
_SLASH = re.compile(r" ?/ ?")
_BEFORE_COMMA = re.compile(r" ([,;:])")
_AFTER_COMMA = re.compile(r"([,;:])(?=[^ ,;:])")
_IN_PARENS = re.compile(r"([(\[]) | ([)\]])")
_EDGE = " -*.,;:/#=+|"


def normalize_local_type(text: str) -> str:
    """The crosswalk key of a call type: upper case, one space, one spelling of punctuation."""
    current = _normalize_once(text)
    for _ in range(8):  # a second pass is almost always a no-op; the bound guards odd Unicode
        following = _normalize_once(current)
        if following == current:
            break
        current = following
    return current


def _normalize_once(text: str) -> str:
    """One pass of normalisation; repeating it until nothing changes makes the result idempotent."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION).upper()
    if text.isascii():  # the common case, without a Unicode lookup per character
        text = _ASCII_CONTROL.sub(" ", text)
    else:
        text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    text = _SPACES.sub(" ", text)
    text = _SPACED_DASH.sub(" - ", text)
    text = _SLASH.sub("/", text)
    text = _BEFORE_COMMA.sub(r"\1", text)
    text = _AFTER_COMMA.sub(r"\1 ", text)
    text = _IN_PARENS.sub(lambda m: m.group(1) or m.group(2), text)
    return text.strip(_EDGE)
