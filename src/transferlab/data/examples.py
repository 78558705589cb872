"""The example record that every source yields, whatever the task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

SPLITS = ("train", "validation", "test")

# Sequence classification uses str/str; token classification uses word and tag lists.
Text = Union[str, "tuple[str, ...]"]
Label = Union[str, "tuple[str, ...]", None]


@dataclass(frozen=True)
class Example:
    """One input and its gold label, with the place it was read from for error messages."""

    text: Text
    label: Label
    origin: str  # "path:line" or "path" (a file per example)


# A source returns either {"all": [...]} (to be split by fraction) or train/validation/test lists.
SplitExamples = dict[str, list[Example]]
