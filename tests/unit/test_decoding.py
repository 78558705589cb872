import pytest
import torch

from transferlab.data.examples import Example
from transferlab.inference.decoding import encode_words, entity_spans, sequence_record, token_record

ID2TAG = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC"}


@pytest.mark.parametrize(
    "tags, spans",
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
        (["I-PER", "I-PER", "B-PER"], [("PER", 0, 2), ("PER", 2, 3)]),
        (["B-PER", "I-LOC", "O"], [("PER", 0, 1), ("LOC", 1, 2)]),
        (["O", "O"], []),
        (["B-LOC", "I-LOC", "I-LOC"], [("LOC", 0, 3)]),
    ],
)
def test_entity_spans_from_iob2(tags, spans):
    assert entity_spans(tags) == spans


def _one_hot_logits(tag_ids: list[int], num_labels: int = 4) -> torch.Tensor:
    logits = torch.full((len(tag_ids), num_labels), -5.0)
    for position, tag in enumerate(tag_ids):
        logits[position, tag] = 5.0
    return logits


def test_token_record_uses_first_subtoken():
    example = Example(("Ada", "Lovelace", "visited", "北京"), None, "f:1")
    # [CLS] Ada Love ##lace visited 北 京 [SEP]: continuation pieces carry misleading logits.
    word_ids = [None, 0, 1, 1, 2, 3, 3, None]
    logits = _one_hot_logits([0, 1, 2, 3, 0, 3, 1, 0])
    record = token_record(example, logits, word_ids, ID2TAG)

    assert record["tags"] == ["B-PER", "I-PER", "O", "B-LOC"]
    assert all(score > 0.99 for score in record["scores"])
    assert [(e["type"], e["start"], e["end"], e["text"]) for e in record["entities"]] == [
        ("PER", 0, 2, "Ada Lovelace"),
        ("LOC", 3, 4, "北京"),
    ]
    assert record["truncated_words"] == 0


def test_token_record_marks_truncated_words():
    example = Example(("Ada", "went", "home"), None, "f:1")
    record = token_record(example, _one_hot_logits([0, 1, 0]), [None, 0, None], ID2TAG)
    assert record["tags"] == ["B-PER", "O", "O"]
    assert record["scores"][1:] == [None, None]
    assert record["truncated_words"] == 2


def test_encode_words_keeps_word_ids():
    from transferlab.models.backbone import load_tokenizer

    tokenizer = load_tokenizer("minilm-l6")
    features = encode_words([("Ada", "Lovelace"), ("x",) * 50], tokenizer, max_length=8)
    assert features[0]["word_ids"][0] is None
    assert features[0]["word_ids"][1] == 0
    assert max(w for w in features[0]["word_ids"] if w is not None) == 1
    assert len(features[1]["input_ids"]) == 8


def test_sequence_record_probabilities():
    record = sequence_record(Example("很好", None, "f:2"), torch.tensor([0.0, 2.0]), {0: "neg", 1: "pos"})
    assert record["label"] == "pos"
    assert record["probabilities"]["pos"] == pytest.approx(0.880797, abs=1e-6)
    assert sum(record["probabilities"].values()) == pytest.approx(1.0)
    assert record["text"] == "很好"
