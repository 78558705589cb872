"""Entity tag schemes: IOB1, IOB2 and IOBES tags such as `B-PER`, `I-PER`, `E-PER`, `S-PER` and `O`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from transferlab.errors import ConfigError

# IOB1 files are converted to IOB2 on reading, so models are trained on IOB2 or IOBES tags.
TAG_SCHEMES = ("IOB2", "IOB1", "IOBES")

TAG_PATTERN = re.compile(r"^(?:O|([BIES])-(\S+))$")


def check_scheme(scheme: str, key: str = "data.source.scheme") -> str:
    """Return the scheme name in upper case, or raise naming the config key."""
    normalized = str(scheme).upper()
    if normalized not in TAG_SCHEMES:
        raise ConfigError(f"{key} must be one of {', '.join(TAG_SCHEMES)}, got {scheme!r}")
    return normalized


def iob1_to_iob2(tags: Iterable[str]) -> list[str]:
    """Convert IOB1 tags, where `B-` only separates two adjacent entities of one type, to IOB2."""
    converted = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            converted.append("B-" + tag[2:])
        else:
            converted.append(tag)
        previous = tag
    return converted


def continuation_tag(tag: str) -> str:
    """Return the tag of a word's second and later sub-tokens: `I-X` for any entity tag, `O` for `O`."""
    return "O" if tag == "O" else "I-" + tag[2:]


def complete_tag_set(tags: Iterable[str]) -> set[str]:
    """Return `tags` plus the `B-` and `I-` tags (and `E-`, `S-` under IOBES) of every entity type in them.

    A type seen only as `B-X` in training still gets an output for `I-X`, which a test sentence or
    a continuation sub-token may need.
    """
    tags = set(tags)
    types = {tag[2:] for tag in tags if tag != "O"}
    prefixes = ["B", "I"]
    if any(tag[:2] in ("E-", "S-") for tag in tags):
        prefixes += ["E", "S"]
    return tags | {"O"} | {f"{prefix}-{entity_type}" for entity_type in types for prefix in prefixes}
