import pytest
import torch
from torch import nn

from transferlab.errors import ConfigError
from transferlab.models.optimization import constant_with_warmup, linear_warmup_decay, parameter_groups


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 4)
        self.LayerNorm = nn.LayerNorm(4)
        self.frozen = nn.Linear(4, 1)
        self.frozen.weight.requires_grad_(False)


def test_no_decay_on_bias_and_layernorm():
    model = _Block()
    decay, no_decay = parameter_groups(model, weight_decay=0.1)
    assert decay["weight_decay"] == 0.1
    assert no_decay["weight_decay"] == 0.0
    assert [p is model.dense.weight for p in decay["params"]] == [True]
    no_decay_ids = {id(p) for p in no_decay["params"]}
    assert no_decay_ids == {id(model.dense.bias), id(model.LayerNorm.weight), id(model.LayerNorm.bias), id(model.frozen.bias)}


def _factors(scheduler, steps):
    optimizer = scheduler.optimizer
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return values


def test_linear_warmup_then_decay_to_zero():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    values = _factors(linear_warmup_decay(optimizer, num_training_steps=10, warmup_steps=4), 11)
    assert values[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert values[4] == pytest.approx(1.0)
    assert values[9] == pytest.approx(1 / 6)
    assert values[10] == 0.0
    assert all(a >= b for a, b in zip(values[4:], values[5:]))


def test_warmup_ratio_and_constant():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=2.0)
    values = _factors(constant_with_warmup(optimizer, num_training_steps=10, warmup_ratio=0.2), 6)
    assert values == pytest.approx([2 / 3, 4 / 3, 2.0, 2.0, 2.0, 2.0])
    with pytest.raises(ConfigError, match="warmup_ratio"):
        linear_warmup_decay(optimizer, 10, warmup_ratio=1.5)
