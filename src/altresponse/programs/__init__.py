"""Programs: one YAML file per civilian response program, validated into frozen models."""

from altresponse.programs.loader import find_program, load_program, preset_names, presets_dir
from altresponse.programs.model import (
    Condition,
    Mode,
    Program,
    ResponseOption,
    Rule,
    TimeWindow,
    Weekday,
)

__all__ = [
    "Condition",
    "Mode",
    "Program",
    "ResponseOption",
    "Rule",
    "TimeWindow",
    "Weekday",
    "find_program",
    "load_program",
    "preset_names",
    "presets_dir",
]
