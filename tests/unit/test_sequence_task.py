import pytest
import torch

from transferlab.data.examples import Example
from transferlab.models.backbone import load_tokenizer
from transferlab.tasks.sequence import SequenceClassification


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm-l6")


def test_encode_tokenizes_once_without_padding(tokenizer):
    task = SequenceClassification()
    examples = [Example("a fine film", "pos", "f:1"), Example("dull " * 300, "neg", "f:2"), Example("好看的电影", "pos", "f:3")]
    features = task.encode(examples, tokenizer, {"neg": 0, "pos": 1}, max_length=16)
    assert [f["labels"] for f in features] == [1, 0, 1]
    assert len(features[0]["input_ids"]) == 5  # [CLS] a fine film [SEP]
    assert len(features[1]["input_ids"]) == 16
    # BERT's basic tokenizer splits CJK text into single characters; this vocabulary lacks some of them.
    assert len(features[2]["input_ids"]) == 7


def test_collate_pads_to_longest_in_batch(tokenizer):
    task = SequenceClassification()
    features = [{"input_ids": [101, 5, 6, 102], "labels": 0}, {"input_ids": [101, 7, 102], "labels": 1}]
    batch = task.collate(features, pad_token_id=tokenizer.pad_token_id)
    assert batch["input_ids"].shape == (2, 4)
    assert batch["input_ids"][1].tolist() == [101, 7, 102, tokenizer.pad_token_id]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert batch["labels"].tolist() == [0, 1]


def test_report_names_every_label():
    task = SequenceClassification()
    report = task.report([0, 1, 1, 2], [0, 1, 2, 2], {0: "business", 1: "sport", 2: "tech"})
    for name in ("business", "sport", "tech", "accuracy", "macro avg"):
        assert name in report


def test_metrics_accuracy_and_macro_f1():
    task = SequenceClassification()
    metrics = task.build_metrics(3, {0: "a", 1: "b", 2: "c"})
    logits = torch.tensor([[5.0, 0, 0], [0, 5.0, 0], [0, 5.0, 0], [0, 0, 5.0]])
    metrics.update(logits, torch.tensor([0, 1, 2, 2]))
    values = metrics.compute()
    assert values["acc"].item() == pytest.approx(0.75)
    # per-class F1: a=1, b=2/3, c=2/3
    assert values["f1_macro"].item() == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
