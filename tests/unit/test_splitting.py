from collections import Counter

import pytest

from transferlab.data.examples import Example
from transferlab.data.splitting import cap, stratified_split
from transferlab.errors import ConfigError


def _examples(counts: dict[str, int]) -> list[Example]:
    return [Example(f"{label} {i}", label, f"f:{i}") for label, n in counts.items() for i in range(n)]


def test_split_keeps_label_shares():
    splits = stratified_split(_examples({"a": 800, "b": 200}), {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=1)
    assert len(splits["train"]) == 800
    assert Counter(e.label for e in splits["validation"]) == {"a": 80, "b": 20}
    assert Counter(e.label for e in splits["test"]) == {"a": 80, "b": 20}


def test_split_is_disjoint_and_complete():
    examples = _examples({"a": 57, "b": 31, "c": 12})
    splits = stratified_split(examples, {"train": 0.7, "validation": 0.15, "test": 0.15}, seed=3)
    seen = [e.origin + e.label for part in splits.values() for e in part]
    assert len(seen) == len(set(seen)) == len(examples)


def test_split_same_seed_same_result():
    examples = _examples({"a": 50, "b": 50})
    first = stratified_split(examples, {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=7)
    second = stratified_split(examples, {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=7)
    other = stratified_split(examples, {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=8)
    assert first == second
    assert first["test"] != other["test"]


@pytest.mark.parametrize(
    "fractions, message",
    [
        ({"train": 0.8, "validation": 0.1}, "sum to 1"),
        ({"train": 0.8, "validation": 0.1, "test": 0.2}, "sum to 1"),
        ({"train": 0.8, "valid": 0.2}, "unknown keys"),
        ({"train": 0.0, "validation": 0.5, "test": 0.5}, "train > 0"),
    ],
)
def test_split_rejects_bad_fractions(fractions, message):
    with pytest.raises(ConfigError, match=message):
        stratified_split(_examples({"a": 10}), fractions, seed=0)


def test_cap_applies_after_split_and_keeps_splits_apart():
    splits = stratified_split(_examples({"a": 100, "b": 100}), {"train": 0.8, "validation": 0.1, "test": 0.1}, seed=0)
    capped = cap(splits["train"], 10)
    assert capped == splits["train"][:10]
    assert not set(e.origin + e.label for e in capped) & set(e.origin + e.label for e in splits["test"])
    assert cap(splits["train"], None) is splits["train"]
    with pytest.raises(ConfigError, match=">= 1"):
        cap(splits["train"], 0)
