"""Students made from a subset of an encoder's layers."""

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from transferlab.errors import ConfigError
from transferlab.models.layer_subset import keep_layers


def _model(num_layers=4):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=num_layers, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=2)
    return BertForSequenceClassification(config).eval()


def test_student_keeps_chosen_layers_and_weights():
    teacher = _model()
    student = keep_layers(_model(), [0, 2, 3])
    assert student.config.num_hidden_layers == 3
    assert len(student.bert.encoder.layer) == 3
    for position, source in enumerate([0, 2, 3]):
        kept = student.bert.encoder.layer[position].state_dict()
        original = teacher.bert.encoder.layer[source].state_dict()
        assert all(torch.equal(kept[k], original[k]) for k in original)
    assert torch.equal(student.bert.embeddings.word_embeddings.weight, teacher.bert.embeddings.word_embeddings.weight)


def test_student_runs_and_reloads_with_same_logits(tmp_path):
    student = keep_layers(_model(), [1, 3])
    inputs = {"input_ids": torch.tensor([[1, 5, 7, 2]]), "attention_mask": torch.ones(1, 4, dtype=torch.long)}
    with torch.no_grad():
        logits = student(**inputs).logits
    student.save_pretrained(tmp_path)
    reloaded = BertForSequenceClassification.from_pretrained(tmp_path).eval()
    assert reloaded.config.num_hidden_layers == 2
    with torch.no_grad():
        assert torch.allclose(reloaded(**inputs).logits, logits, atol=1e-6)


def test_student_differs_from_full_model():
    inputs = {"input_ids": torch.tensor([[1, 5, 7, 2]])}
    with torch.no_grad():
        full = _model()(**inputs).logits
        student = keep_layers(_model(), [0, 1])(**inputs).logits
    assert not torch.allclose(full, student)


@pytest.mark.parametrize(
    "indices, message",
    [([2, 0], "increasing"), ([1, 1], "increasing"), ([0, 4], r"0\.\.3"), ([-1, 2], r"0\.\.3"), ([], "non-empty")],
)
def test_bad_layer_indices_are_rejected(indices, message):
    with pytest.raises(ConfigError, match=message):
        keep_layers(_model(), indices)
