"""Turn a source into checked train/validation/test examples and a label list, without torch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transferlab.data.examples import SPLITS, Example
from transferlab.data.splitting import cap, stratified_split
from transferlab.data.tags import complete_tag_set
from transferlab.errors import ConfigError, DataError
from transferlab.log import get_logger

log = get_logger(__name__)

EMPTY_TEXT_POLICIES = ("drop", "error")


@dataclass
class PreparedData:
    """Examples per split and the label names in id order."""

    splits: dict[str, list[Example]]
    label_names: list[str]

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.label_names))

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.label_names)}


def _is_empty(example: Example) -> bool:
    if isinstance(example.text, str):
        return not example.text.strip()
    return len(example.text) == 0


def _handle_empty(examples: list[Example], split: str, policy: str) -> list[Example]:
    if policy not in EMPTY_TEXT_POLICIES:
        raise ConfigError(f"data.empty_text must be one of {EMPTY_TEXT_POLICIES}, got {policy!r}")
    empty = [e for e in examples if _is_empty(e)]
    if not empty:
        return examples
    if policy == "error":
        raise DataError(
            f"{empty[0].origin}: empty or whitespace-only text ({len(empty)} in the {split} split); "
            "remove them or set data.empty_text=drop"
        )
    log.warning("Dropped %d empty or whitespace-only texts from the %s split (first at %s)", len(empty), split, empty[0].origin)
    return [e for e in examples if not _is_empty(e)]


def _label_values(example: Example) -> Sequence[str]:
    return example.label if isinstance(example.label, tuple) else (example.label,)


def _sort_labels(labels: set[str]) -> list[str]:
    if all(label.lstrip("-").isdigit() for label in labels):
        return sorted(labels, key=int)
    return sorted(labels)


def derive_labels(train: list[Example], configured: Sequence[str] | None) -> list[str]:
    """Return the label names in id order: the configured list, or the sorted labels of the train split.

    For tag sequences the derived list also has the `B-`/`I-` tags of every entity type seen.
    """
    seen = {value for example in train for value in _label_values(example)}
    if configured is None:
        if train and isinstance(train[0].label, tuple):
            return _sort_labels(complete_tag_set(seen))
        return _sort_labels(seen)

    names = [str(label) for label in configured]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"data.labels lists {duplicates} more than once")
    extra = sorted(seen - set(names))
    if extra:
        raise DataError(f"the train split has labels {extra} that are not in data.labels {names}; add them to data.labels")
    return names


def check_known_labels(examples: list[Example], known: set[str], split: str) -> None:
    """Reject a label the model has no output for, naming the file, row and label."""
    for example in examples:
        for value in _label_values(example):
            if value not in known:
                raise DataError(
                    f"{example.origin}: label {value!r} in the {split} split does not occur in the train split "
                    f"(labels: {', '.join(sorted(known))}); fix the label or list it in data.labels"
                )


def prepare(
    loaded: Mapping[str, list[Example]],
    split_fractions: Mapping[str, float],
    seed: int,
    caps: Mapping[str, int | None],
    labels: Sequence[str] | None = None,
    empty_text: str = "drop",
) -> PreparedData:
    """Split (when the source has no splits), drop or reject empty texts, cap, and check labels."""
    if "all" in loaded:
        splits = stratified_split(loaded["all"], split_fractions, seed)
    else:
        splits = {split: list(loaded[split]) for split in SPLITS}

    for split in SPLITS:
        splits[split] = cap(_handle_empty(splits[split], split, empty_text), caps.get(split))
        if not splits[split]:
            raise DataError(f"the {split} split is empty; check data.split fractions and the max_*_samples caps")

    label_names = derive_labels(splits["train"], labels)
    for split in ("validation", "test"):
        check_known_labels(splits[split], set(label_names), split)
    return PreparedData(splits, label_names)
