import pytest
import torch

from transferlab.data.examples import Example
from transferlab.inference.decoding import entity_spans, sequence_record, token_record

ID2TAG = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC"}


@pytest.mark.parametrize(
    "tags, spans",
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
        (["I-PER", "I-PER", "B-PER"], [("PER", 0, 2), ("PER", 2, 3)]),
        (["B-PER", "I-LOC", "O"], [("PER", 0, 1), ("LOC", 1, 2)]),
        (["O", "O"], []),
        (["B-LOC", "I-LOC", "I-LOC"], [("LOC", 0, 3)]),
        (["B-PER", "E-PER", "S-PER", "S-LOC", "O"], [("PER", 0, 2), ("PER", 2, 3), ("LOC", 3, 4)]),
        (["B-PER", "E-PER", "I-PER"], [("PER", 0, 2), ("PER", 2, 3)]),
    ],
)
def test_entity_spans_from_iob2(tags, spans):
    assert entity_spans(tags) == spans


def _one_hot(tag: int, num_labels: int = 4) -> torch.Tensor:
    probabilities = torch.full((num_labels,), 0.02)
    probabilities[tag] = 1.0 - 0.02 * (num_labels - 1)
    return probabilities


def test_token_record_tags_and_spans():
    example = Example(("Ada", "Lovelace", "visited", "北京"), None, "f:1")
    word_probabilities = {0: _one_hot(1), 1: _one_hot(2), 2: _one_hot(0), 3: _one_hot(3)}
    record = token_record(example, word_probabilities, ID2TAG)

    assert record["words"] == ["Ada", "Lovelace", "visited", "北京"]
    assert record["tags"] == ["B-PER", "I-PER", "O", "B-LOC"]
    assert record["scores"] == [pytest.approx(0.94)] * 4
    assert [(e["type"], e["start"], e["end"], e["text"]) for e in record["entities"]] == [
        ("PER", 0, 2, "Ada Lovelace"),
        ("LOC", 3, 4, "北京"),
    ]
    assert record["entities"][0]["score"] == pytest.approx(0.94)


def test_sequence_record_probabilities():
    record = sequence_record(Example("很好", None, "f:2"), torch.tensor([0.0, 2.0]), {0: "neg", 1: "pos"})
    assert record["label"] == "pos"
    assert record["probabilities"]["pos"] == pytest.approx(0.880797, abs=1e-6)
    assert sum(record["probabilities"].values()) == pytest.approx(1.0)
    assert record["text"] == "很好"
