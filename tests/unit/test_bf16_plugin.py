import torch

from transferlab.runs.bf16_plugin import BF16MixedPrecision, EvaluationAutocast


class _Trainer:
    def __init__(self, plugin):
        self.precision_plugin = plugin


def test_step_context_enters_autocast_per_step():
    plugin = BF16MixedPrecision("cpu")
    with plugin.forward_context():
        assert torch.is_autocast_enabled("cpu")
        assert torch.get_autocast_dtype("cpu") == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")


def test_evaluation_pass_holds_one_cached_context():
    plugin = BF16MixedPrecision("cpu")
    callback = EvaluationAutocast()
    callback.on_validation_start(_Trainer(plugin), None)
    assert torch.is_autocast_enabled("cpu")
    with plugin.forward_context():
        # The step adds no context of its own, so the cast cache of the pass stays on.
        assert torch.is_autocast_cache_enabled()
        linear = torch.nn.Linear(4, 4)
        assert linear(torch.ones(2, 4)).dtype == torch.bfloat16
    callback.on_validation_end(_Trainer(plugin), None)
    assert not torch.is_autocast_enabled("cpu")


def test_exception_leaves_the_evaluation_context():
    plugin = BF16MixedPrecision("cpu")
    callback = EvaluationAutocast()
    callback.on_test_start(_Trainer(plugin), None)
    callback.on_exception(_Trainer(plugin), None, RuntimeError("boom"))
    assert not torch.is_autocast_enabled("cpu")
    callback.on_test_end(_Trainer(plugin), None)  # a second exit is harmless
    assert not torch.is_autocast_enabled("cpu")


def test_callback_ignores_other_precisions():
    callback = EvaluationAutocast()
    callback.on_validation_start(_Trainer(object()), None)
    assert not torch.is_autocast_enabled("cpu")
