import json

import pytest

from conftest import write_csv
from transferlab.data.augmentation import TokenAugmenter
from transferlab.data.examples import Example
from transferlab.data.preparation import PreparedData

TEXTS = [
    "a warm and funny film with a great cast",
    "the plot is thin and the jokes fall flat",
    "one of the best thrillers of the year",
    "dull, long and far too pleased with itself",
    "这部电影很好看",
    "an honest, moving portrait of a family",
]


@pytest.fixture(scope="module")
def tokenizer():
    from transferlab.models.backbone import load_tokenizer

    return load_tokenizer("minilm-l6")


def _datamodule(tokenizer, augmenter):
    from transferlab.data.datamodule import TextDataModule
    from transferlab.tasks import build_task

    train = [Example(text, "fresh" if i % 2 == 0 else "rotten", f"t:{i}") for i, text in enumerate(TEXTS * 4)]
    prepared = PreparedData({"train": train, "validation": train[:6], "test": train[:6]}, ["fresh", "rotten"])
    datamodule = TextDataModule(
        prepared, build_task("sequence_classification"), tokenizer,
        batch_size=8, eval_batch_size=8, max_length=32, seed=13, augmenter=augmenter,
    )
    datamodule.setup("fit")
    return datamodule


def _epoch_batches(datamodule, epoch):
    loader = datamodule.train_dataloader()
    loader.batch_sampler.set_epoch(epoch)
    return [{key: value.tolist() for key, value in batch.items()} for batch in loader]


def test_augmented_batches_vary_by_epoch(tokenizer):
    augmenter = TokenAugmenter(tokenizer, delete=0.2, swap=0.2, insert=0.2, mask=0.2)
    datamodule = _datamodule(tokenizer, augmenter)
    plain = _epoch_batches(_datamodule(tokenizer, None), 0)

    first = _epoch_batches(datamodule, 0)
    assert _epoch_batches(datamodule, 0) == first
    assert _epoch_batches(datamodule, 1) != first
    assert first != plain
    assert [b["labels"] for b in first] == [b["labels"] for b in plain]
    assert sum(row.count(tokenizer.mask_token_id) for b in first for row in b["input_ids"]) > 0


def test_keyed_sampler_reads_trainer_epoch():
    from transferlab.data.augmented import EpochKeyedBatchSampler
    from transferlab.data.batching import LengthGroupedBatchSampler

    epochs = iter([3, 4])
    keyed = EpochKeyedBatchSampler(LengthGroupedBatchSampler([5, 6, 7], batch_size=2, seed=1), lambda: next(epochs))
    first = [key for batch in keyed for key in batch]
    second = [key for batch in keyed for key in batch]
    assert {epoch for epoch, _ in first} == {3}
    assert {epoch for epoch, _ in second} == {4}
    assert sorted(index for _, index in first) == [0, 1, 2]


def test_evaluation_batches_are_never_augmented(tokenizer):
    augmenter = TokenAugmenter(tokenizer, delete=0.5, mask=0.5)
    augmented, plain = _datamodule(tokenizer, augmenter), _datamodule(tokenizer, None)
    for name in ("val_dataloader", "test_dataloader"):
        batches = [b["input_ids"].tolist() for b in getattr(augmented, name)()]
        assert batches == [b["input_ids"].tolist() for b in getattr(plain, name)()]


def test_unaugmented_training_keeps_pretokenized_features(tokenizer):
    datamodule = _datamodule(tokenizer, None)
    loader = datamodule.train_dataloader()
    assert loader.dataset.features is datamodule.features["train"]


def test_training_run_with_augmentation(train_tiny, tmp_path, caplog):
    caplog.set_level("INFO", logger="transferlab")
    rows = [(text, "fresh" if i % 2 == 0 else "rotten") for i, text in enumerate(TEXTS * 10)]
    csv_path = write_csv(tmp_path / "reviews.csv", rows)
    objective, run_dir = train_tiny([
        "data=csv", f"data.source.train_file={csv_path}", "augment=token_noise",
        "augment.schedule=linear", "augment.strength_end=0.0", "trainer.max_epochs=2", "export=false",
    ])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 0.0 <= objective <= 1.0
    assert "test/acc" in metrics
    assert "delete 0.1, swap 0.1, insert 0.1, mask 0.1; linear strength 1 -> 0 over 1 epochs" in caplog.text


def test_ner_batches_keep_entities(tokenizer):
    from transferlab.data.datamodule import TextDataModule
    from transferlab.tasks import build_task

    tags = ("B-person", "I-person", "O", "O", "B-geo-loc", "I-geo-loc", "O")
    words = ("john", "smith", "flew", "to", "new", "york", "today")
    train = [Example(words, tags, f"t:{i}") for i in range(4)]
    labels = ["B-geo-loc", "B-person", "I-geo-loc", "I-person", "O"]
    prepared = PreparedData({"train": train, "validation": train[:1], "test": train[:1]}, labels)
    datamodule = TextDataModule(
        prepared, build_task("token_classification"), tokenizer,
        batch_size=4, eval_batch_size=4, max_length=32, seed=3, augmenter=TokenAugmenter(tokenizer, delete=1.0),
    )
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    for row, row_labels in zip(batch["input_ids"].tolist(), batch["labels"].tolist()):
        kept = [tokenizer.convert_ids_to_tokens(i) for i, label in zip(row, row_labels) if label != -100]
        assert kept == ["john", "smith", "new", "york"]
