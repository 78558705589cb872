"""The tokenization cache: hits on identical inputs, a new entry for every change, safe rebuilds."""

from __future__ import annotations

import logging
import os

import pytest

from transferlab.data.cache import EncodingCache, _deserialize, _serialize, tokenizer_fingerprint
from transferlab.data.datamodule import TextDataModule
from transferlab.data.examples import Example
from transferlab.data.preparation import PreparedData, prepare
from transferlab.data.tabular import TabularSource
from transferlab.models.backbone import load_tokenizer
from transferlab.tasks.sequence import SequenceClassification

from tests.conftest import write_csv

TEXTS = [
    "a gripping, beautifully shot film",
    "dull and far too long",
    "一部非常精彩的电影",  # Chinese text must encode and cache like any other
    "the cast saves a thin script",
    "not worth the ticket",
    "warm, funny and sharp",
]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm-l6")


def _prepared(texts=TEXTS, labels=None, label_names=("neg", "pos")) -> PreparedData:
    labels = labels or ["pos", "neg"] * (len(texts) // 2)
    examples = [Example(text, label, f"mem:{i}") for i, (text, label) in enumerate(zip(texts, labels))]
    return PreparedData({"train": examples[:4], "validation": examples[4:5], "test": examples[5:]}, list(label_names))


def _setup(prepared, tokenizer, cache_dir, max_length=32, task=None) -> TextDataModule:
    datamodule = TextDataModule(
        prepared, task or SequenceClassification(), tokenizer,
        batch_size=2, eval_batch_size=2, max_length=max_length, seed=0, cache_dir=cache_dir,
    )
    datamodule.setup()
    return datamodule


def test_cache_second_setup_reads_every_split(tokenizer, tmp_path):
    first = _setup(_prepared(), tokenizer, tmp_path)
    second = _setup(_prepared(), tokenizer, tmp_path)
    assert first.cached_splits == []
    assert second.cached_splits == ["train", "validation", "test"]
    assert second.features == first.features
    assert len(list((tmp_path / "encoded").glob("*.npz"))) == 3


def test_cache_disabled_writes_nothing(tokenizer, tmp_path):
    datamodule = _setup(_prepared(), tokenizer, None)
    assert datamodule.cached_splits == []
    assert not any(tmp_path.iterdir())


def _hits_after(change, tokenizer, tmp_path, **setup_kwargs) -> list[str]:
    _setup(_prepared(), tokenizer, tmp_path)
    prepared = change(_prepared())
    return _setup(prepared, tokenizer, tmp_path, **setup_kwargs).cached_splits


def test_cache_text_change_invalidates_its_split(tokenizer, tmp_path):
    def edit(prepared):
        train = prepared.splits["train"]
        train[0] = Example(train[0].text + "!", train[0].label, train[0].origin)
        return prepared

    assert _hits_after(edit, tokenizer, tmp_path) == ["validation", "test"]


def test_cache_label_change_invalidates(tokenizer, tmp_path):
    def relabel(prepared):
        first = prepared.splits["train"][0]
        prepared.splits["train"][0] = Example(first.text, "neg" if first.label == "pos" else "pos", first.origin)
        return prepared

    assert "train" not in _hits_after(relabel, tokenizer, tmp_path)


def test_cache_label_map_change_invalidates(tokenizer, tmp_path):
    def reorder(prepared):
        return PreparedData(prepared.splits, ["pos", "neg"])

    assert _hits_after(reorder, tokenizer, tmp_path) == []


def test_cache_split_membership_and_cap_invalidate(tokenizer, tmp_path):
    def move(prepared):
        moved = prepared.splits["train"].pop()
        prepared.splits["validation"].append(moved)
        return prepared

    assert _hits_after(move, tokenizer, tmp_path) == ["test"]

    def reorder(prepared):
        prepared.splits["train"].reverse()
        return prepared

    assert _hits_after(reorder, tokenizer, tmp_path / "order") == ["validation", "test"]


def test_cache_max_length_invalidates(tokenizer, tmp_path):
    assert _hits_after(lambda p: p, tokenizer, tmp_path, max_length=8) == []


def test_cache_task_options_invalidate(tokenizer, tmp_path):
    task = SequenceClassification()
    task.text_prefix = "review: "  # any public attribute of the task is an encoding option
    _setup(_prepared(), tokenizer, tmp_path)
    assert _setup(_prepared(), tokenizer, tmp_path, task=task).cached_splits == []


def test_cache_tokenizer_change_invalidates(tokenizer, tmp_path):
    _setup(_prepared(), tokenizer, tmp_path)

    added = load_tokenizer("minilm-l6")
    added.add_tokens(["gripping"])
    assert _setup(_prepared(), added, tmp_path).cached_splits == []

    left = load_tokenizer("minilm-l6")
    left.truncation_side = "left"
    assert _setup(_prepared(), left, tmp_path).cached_splits == []


def test_tokenizer_fingerprint_ignores_call_arguments(tokenizer):
    fresh = load_tokenizer("minilm-l6")
    before = tokenizer_fingerprint(fresh)
    fresh(["some text to truncate"], truncation=True, max_length=4, padding="max_length")
    assert tokenizer_fingerprint(fresh) == before


def _csv_prepared(path, seed=0, caps=None):
    loaded = TabularSource(str(path)).load()
    fractions = {"train": 0.6, "validation": 0.2, "test": 0.2}
    return prepare(loaded, fractions, seed, caps or {})


def test_cache_data_file_content_not_mtime(tokenizer, tmp_path):
    rows = [(f"review number {i} {'good' if i % 2 else 'bad'}", "pos" if i % 2 else "neg") for i in range(20)]
    path = write_csv(tmp_path / "reviews.csv", rows)
    cache_dir = tmp_path / "cache"
    _setup(_csv_prepared(path), tokenizer, cache_dir)

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _setup(_csv_prepared(path), tokenizer, cache_dir).cached_splits == ["train", "validation", "test"]

    rows[3] = ("review number 3 changed", "pos")
    write_csv(path, rows)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert len(_setup(_csv_prepared(path), tokenizer, cache_dir).cached_splits) == 2


def test_cache_split_seed_and_cap_invalidate(tokenizer, tmp_path):
    rows = [(f"snippet {i}", "pos" if i % 2 else "neg") for i in range(30)]
    path = write_csv(tmp_path / "reviews.csv", rows)
    cache_dir = tmp_path / "cache"
    _setup(_csv_prepared(path, seed=0), tokenizer, cache_dir)
    assert _setup(_csv_prepared(path, seed=1), tokenizer, cache_dir).cached_splits == []
    assert _setup(_csv_prepared(path, seed=0, caps={"train": 5}), tokenizer, cache_dir).cached_splits == ["validation", "test"]


def test_cache_corrupt_entry_is_rebuilt(tokenizer, tmp_path, caplog):
    first = _setup(_prepared(), tokenizer, tmp_path)
    for entry in (tmp_path / "encoded").glob("*.npz"):
        entry.write_bytes(b"not an npz archive")

    with caplog.at_level(logging.WARNING, logger="transferlab.data.cache"):
        rebuilt = _setup(_prepared(), tokenizer, tmp_path)
    assert rebuilt.cached_splits == []
    assert rebuilt.features == first.features
    assert "unreadable" in caplog.text
    assert _setup(_prepared(), tokenizer, tmp_path).cached_splits == ["train", "validation", "test"]


def test_cache_unwritable_folder_warns_and_trains_on(tokenizer, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="transferlab.data.datamodule"):
        datamodule = _setup(_prepared(), tokenizer, blocker / "cache")
    assert len(datamodule.features["train"]) == 4
    assert "Could not write the tokenization cache" in caplog.text


@pytest.mark.parametrize(
    "features",
    [
        [{"input_ids": [101, 7, 102], "labels": 1}, {"input_ids": [101, 102], "labels": 0}],
        [{"input_ids": [101, 5, 102], "word_ids": [None, 0, None], "labels": [-100, 3, -100]}],
        [{"input_ids": [101, 102], "labels": 0, "task_name": "情感"}, {"input_ids": [101], "labels": 1, "task_name": "topic"}],
    ],
)
def test_entry_round_trip(tmp_path, features):
    path = tmp_path / "entry.npz"
    path.write_bytes(_serialize(features, "k"))
    assert _deserialize(path, "k") == features


def test_entry_with_other_key_is_rejected(tmp_path):
    cache = EncodingCache(tmp_path)
    cache.store("a" * 64, [{"input_ids": [1], "labels": 0}])
    cache.path("a" * 64).rename(cache.path("b" * 64))
    assert cache.load("b" * 64) is None
