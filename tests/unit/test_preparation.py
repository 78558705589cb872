import logging

import pytest

from transferlab.data.examples import Example
from transferlab.data.preparation import derive_labels, prepare
from transferlab.errors import ConfigError, DataError

FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
NO_CAPS = {"train": None, "validation": None, "test": None}


def _given_splits(train, validation, test):
    def make(rows, name):
        return [Example(text, label, f"{name}.csv:{i + 2}") for i, (text, label) in enumerate(rows)]

    return {"train": make(train, "train"), "validation": make(validation, "val"), "test": make(test, "test")}


def test_empty_texts_are_dropped_with_a_count(caplog):
    loaded = _given_splits([("a", "x"), ("  ", "x"), ("", "y"), ("b", "y")], [("c", "x")], [("d", "y")])
    with caplog.at_level(logging.WARNING):
        prepared = prepare(loaded, FRACTIONS, 0, NO_CAPS)
    assert [e.text for e in prepared.splits["train"]] == ["a", "b"]
    assert "Dropped 2 empty" in caplog.text


def test_empty_texts_rejected_on_request():
    loaded = _given_splits([("a", "x"), (" ", "x")], [("c", "x")], [("d", "x")])
    with pytest.raises(DataError, match=r"train\.csv:3: empty or whitespace-only text"):
        prepare(loaded, FRACTIONS, 0, NO_CAPS, empty_text="error")


def test_unknown_test_label_names_file_row_and_label():
    loaded = _given_splits([("a", "x"), ("b", "y")], [("c", "x")], [("d", "x"), ("e", "z")])
    with pytest.raises(DataError) as error:
        prepare(loaded, FRACTIONS, 0, NO_CAPS)
    message = str(error.value)
    assert "test.csv:3" in message
    assert "'z'" in message
    assert "test split" in message


def test_labels_sorted_from_train_split():
    loaded = _given_splits([("a", "pos"), ("b", "neg"), ("c", "neutral")], [("c", "pos")], [("d", "neg")])
    prepared = prepare(loaded, FRACTIONS, 0, NO_CAPS)
    assert prepared.label_names == ["neg", "neutral", "pos"]
    assert prepared.id2label == {0: "neg", 1: "neutral", 2: "pos"}


def test_integer_labels_sort_numerically():
    train = [Example(str(i), str(i), "f") for i in (10, 2, 1)]
    assert derive_labels(train, None) == ["1", "2", "10"]


def test_configured_labels_set_the_order():
    train = [Example("a", "pos", "f"), Example("b", "neg", "f")]
    assert derive_labels(train, ["pos", "neg", "mixed"]) == ["pos", "neg", "mixed"]
    with pytest.raises(ConfigError, match="more than once"):
        derive_labels(train, ["pos", "neg", "pos"])
    with pytest.raises(DataError, match="not in data.labels"):
        derive_labels(train, ["pos"])


def test_caps_apply_per_split():
    loaded = {"all": [Example(f"t{i}", "ab"[i % 2], f"f:{i}") for i in range(100)]}
    prepared = prepare(loaded, FRACTIONS, 0, {"train": 7, "validation": 3, "test": None})
    assert [len(prepared.splits[s]) for s in ("train", "validation", "test")] == [7, 3, 10]
