"""The distillation loss against values computed by hand, and the teacher logits cache."""

import math

import pytest
import torch

from transferlab.methods.distillation import TeacherLogitsCache, distillation_loss


def _softmax(values, temperature=1.0):
    exps = [math.exp(v / temperature) for v in values]
    return [e / sum(exps) for e in exps]


def _by_hand(student, teacher, labels, temperature, alpha):
    """alpha * CE + (1 - alpha) * T^2 * KL(p_teacher || p_student), averaged over labelled rows."""
    ce, kl, rows = 0.0, 0.0, 0
    for s, t, y in zip(student, teacher, labels):
        if y == -100:
            continue
        rows += 1
        ce -= math.log(_softmax(s)[y])
        p, q = _softmax(t, temperature), _softmax(s, temperature)
        kl += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    ce, kl = ce / rows, kl / rows
    return alpha * ce + (1 - alpha) * temperature**2 * kl, ce, kl


STUDENT = [[1.0, -0.5, 0.2], [0.3, 0.9, -1.2], [-0.7, 0.1, 2.0]]
TEACHER = [[2.5, -1.0, 0.0], [0.0, 3.0, -2.0], [-1.0, 0.5, 1.5]]
LABELS = [0, 1, 2]


@pytest.mark.parametrize("temperature, alpha", [(1.0, 0.5), (2.0, 0.5), (4.0, 0.1), (3.0, 1.0), (2.0, 0.0)])
def test_loss_matches_hand_computation(temperature, alpha):
    loss, ce, kl = distillation_loss(torch.tensor(STUDENT), torch.tensor(TEACHER), torch.tensor(LABELS), temperature, alpha)
    expected_loss, expected_ce, expected_kl = _by_hand(STUDENT, TEACHER, LABELS, temperature, alpha)
    assert ce.item() == pytest.approx(expected_ce, rel=1e-5)
    assert kl.item() == pytest.approx(expected_kl, rel=1e-5)
    assert loss.item() == pytest.approx(expected_loss, rel=1e-5)


def test_soft_term_scales_with_temperature_squared():
    student, teacher, labels = torch.tensor(STUDENT), torch.tensor(TEACHER), torch.tensor(LABELS)
    loss, _, kl = distillation_loss(student, teacher, labels, temperature=3.0, alpha=0.0)
    assert loss.item() == pytest.approx(9.0 * kl.item(), rel=1e-6)


def test_identical_logits_give_zero_kl():
    logits = torch.tensor(STUDENT)
    _, _, kl = distillation_loss(logits, logits.clone(), torch.tensor(LABELS), temperature=2.0, alpha=0.5)
    assert kl.item() == pytest.approx(0.0, abs=1e-7)


def test_token_positions_with_label_minus_100_are_ignored():
    # Two sequences of two tokens; the second token of each is padding or a continuation piece.
    student = torch.tensor([[STUDENT[0], STUDENT[1]], [STUDENT[2], [9.0, -9.0, 0.0]]])
    teacher = torch.tensor([[TEACHER[0], TEACHER[1]], [TEACHER[2], [-9.0, 9.0, 0.0]]])
    labels = torch.tensor([[0, 1], [2, -100]])
    loss, ce, kl = distillation_loss(student, teacher, labels, temperature=2.0, alpha=0.3)
    expected_loss, expected_ce, expected_kl = _by_hand(STUDENT, TEACHER, LABELS, 2.0, 0.3)
    assert ce.item() == pytest.approx(expected_ce, rel=1e-5)
    assert kl.item() == pytest.approx(expected_kl, rel=1e-5)
    assert loss.item() == pytest.approx(expected_loss, rel=1e-5)


def test_gradient_reaches_student_only():
    student = torch.tensor(STUDENT, requires_grad=True)
    teacher = torch.tensor(TEACHER, requires_grad=True)
    loss, _, _ = distillation_loss(student, teacher.detach(), torch.tensor(LABELS), 2.0, 0.5)
    loss.backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def _batch(rows):
    longest = max(len(r) for r in rows)
    input_ids = torch.tensor([r + [0] * (longest - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (longest - len(r)) for r in rows])
    return {"input_ids": input_ids, "attention_mask": mask}


def test_cache_returns_stored_logits_in_batch_order():
    cache = TeacherLogitsCache()
    first = _batch([[101, 7, 8, 102], [101, 9, 102]])
    cache.store(first, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert cache.lookup(_batch([[101, 9, 102], [101, 5, 102]])) is None

    reordered = _batch([[101, 9, 102], [101, 7, 8, 102]])
    assert torch.equal(cache.lookup(reordered), torch.tensor([[3.0, 4.0], [1.0, 2.0]]))


def test_cache_pads_token_logits_to_the_batch():
    cache = TeacherLogitsCache()
    batch = _batch([[101, 7, 102], [101, 102]])
    logits = torch.arange(12, dtype=torch.float).reshape(2, 3, 2)
    cache.store(batch, logits)

    longer = _batch([[101, 102], [101, 4, 4, 4, 102]])
    cache.store(longer, torch.ones(2, 5, 2))
    again = _batch([[101, 7, 102], [101, 102]])
    cached = cache.lookup(again)
    assert cached.shape == (2, 3, 2)
    assert torch.equal(cached[0], logits[0])
    assert torch.equal(cached[1, :2], torch.ones(2, 2))  # the later store of [101, 102] replaced it
    assert torch.equal(cached[1, 2], torch.zeros(2))


def test_module_keeps_teacher_frozen_and_out_of_checkpoints():
    from transformers import BertConfig, BertForSequenceClassification

    from transferlab.methods.distillation import DistillationModule
    from transferlab.tasks.sequence import SequenceClassification

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=3)
    torch.manual_seed(0)
    module = DistillationModule(
        model=BertForSequenceClassification(config), task=SequenceClassification(),
        id2label={0: "a", 1: "b", 2: "c"}, optimizer=torch.optim.SGD,
        teacher=BertForSequenceClassification(config), temperature=2.0, alpha=0.25,
    )
    module.train()
    assert module.model.training
    assert not module.teacher.training
    assert not any(p.requires_grad for p in module.teacher.parameters())

    batch = {"input_ids": torch.tensor([[1, 4, 2], [1, 5, 2]]), "attention_mask": torch.ones(2, 3, dtype=torch.long),
             "labels": torch.tensor([0, 2])}
    outputs = module(batch)
    with torch.no_grad():
        teacher_logits = module.teacher(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    expected, _, _ = distillation_loss(outputs.logits, teacher_logits, batch["labels"], 2.0, 0.25)
    assert module.compute_loss(batch, outputs).item() == pytest.approx(expected.item(), rel=1e-6)

    checkpoint = {"state_dict": module.state_dict()}
    module.on_save_checkpoint(checkpoint)
    assert checkpoint["state_dict"] and not any(k.startswith("teacher.") for k in checkpoint["state_dict"])
    module.load_state_dict(checkpoint["state_dict"])
    with pytest.raises(RuntimeError, match="missing trainable weights"):
        module.load_state_dict({k: v for k, v in checkpoint["state_dict"].items() if "classifier" not in k})
