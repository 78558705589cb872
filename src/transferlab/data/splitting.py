"""Seeded, stratified splitting of one example list into train/validation/test by fraction."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence

from transferlab.data.examples import SPLITS, Example
from transferlab.errors import ConfigError


def check_fractions(fractions: Mapping[str, float]) -> dict[str, float]:
    """Return the fractions for train/validation/test, rejecting missing keys and bad sums."""
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise ConfigError(f"data.split has unknown keys {sorted(unknown)}; use {list(SPLITS)}")
    values = {split: float(fractions.get(split, 0.0)) for split in SPLITS}
    if any(v < 0 for v in values.values()) or values["train"] <= 0:
        raise ConfigError(f"data.split fractions must be >= 0 with train > 0, got {values}")
    if abs(sum(values.values()) - 1.0) > 1e-6:
        raise ConfigError(f"data.split fractions must sum to 1, got {sum(values.values()):.4f} from {values}")
    return values


def _stratum(example: Example) -> str:
    # Token classification examples carry a tag list: stratify by "has an entity" only.
    if isinstance(example.label, tuple):
        return "entity" if any(tag != "O" for tag in example.label) else "none"
    return str(example.label)


def stratified_split(examples: Sequence[Example], fractions: Mapping[str, float], seed: int) -> dict[str, list[Example]]:
    """Split examples so that each label keeps its share in every split; the same seed gives the same split."""
    values = check_fractions(fractions)
    groups: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        groups[_stratum(example)].append(example)

    rng = random.Random(seed)
    result: dict[str, list[Example]] = {split: [] for split in SPLITS}
    for key in sorted(groups):
        group = groups[key]
        rng.shuffle(group)
        n_validation = round(len(group) * values["validation"])
        n_test = round(len(group) * values["test"])
        result["validation"].extend(group[:n_validation])
        result["test"].extend(group[n_validation : n_validation + n_test])
        result["train"].extend(group[n_validation + n_test :])

    for split in SPLITS:
        rng.shuffle(result[split])
    return result


def cap_per_label(examples: list[Example], limit: int | None) -> list[Example]:
    """Keep the first `limit` examples of each label of an already shuffled split, in their order (None keeps all)."""
    if limit is None:
        return examples
    if limit < 1:
        raise ConfigError(f"data.max_train_samples_per_label must be >= 1 or null, got {limit}")
    kept: list[Example] = []
    seen: dict[str, int] = defaultdict(int)
    for example in examples:
        stratum = _stratum(example)
        if seen[stratum] < limit:
            seen[stratum] += 1
            kept.append(example)
    return kept


def cap(examples: list[Example], limit: int | None) -> list[Example]:
    """Keep the first `limit` examples of an already shuffled split (None keeps all)."""
    if limit is None:
        return examples
    if limit < 1:
        raise ConfigError(f"a max_*_samples cap must be >= 1 or null, got {limit}")
    return examples[:limit]
