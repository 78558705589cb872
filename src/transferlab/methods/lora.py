"""LoRA with Hugging Face peft: low-rank adapters on chosen linear layers, and a fully trained head."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path

from torch import nn

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.methods.base import Method
from transferlab.models.module import TransferModule

log = get_logger(__name__)

BIAS_MODES = ("none", "all", "lora_only")


class LoRAModule(TransferModule):
    """A `TransferModule` whose checkpoints hold only the adapters and the head.

    The frozen encoder weights are reloaded from `model.pretrained` whenever the module is built.
    """

    save_frozen_weights = False


def head_module_names(model: nn.Module) -> list[str]:
    """Return the names of the top-level modules with parameters outside the encoder: the task head.

    For `BertForSequenceClassification` this is `classifier`; for DistilBERT `pre_classifier` and
    `classifier`. These are freshly initialised for the target labels, so LoRA must train them fully.
    """
    encoder = getattr(model, "base_model_prefix", "")
    return [
        name
        for name, child in model.named_children()
        if name != encoder and any(True for _ in child.parameters())
    ]


def _matches(module_name: str, target: str) -> bool:
    # The rule peft applies to a list of target names: the full name or its last dotted components.
    return module_name == target or module_name.endswith(f".{target}")


def linear_layer_patterns(names: Sequence[str]) -> list[str]:
    """Return linear layer names with layer indices replaced by `*`, without repeats, in model order."""
    patterns = []
    for name in names:
        pattern = re.sub(r"\.\d+\.", ".*.", name)
        if pattern not in patterns:
            patterns.append(pattern)
    return patterns


def check_target_modules(model: nn.Module, targets: Sequence[str], head_names: Sequence[str]) -> dict[str, int]:
    """Return how many linear layers each target name matches; raise ConfigError for one that matches none.

    Head modules are left out: peft trains them fully through `modules_to_save`, never with adapters.
    """
    linear = [
        name
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and not any(_matches(name, h) or name.startswith(f"{h}.") for h in head_names)
    ]
    counts = {target: sum(_matches(name, target) for name in linear) for target in targets}
    unmatched = [target for target, count in counts.items() if count == 0]
    if unmatched:
        raise ConfigError(
            f"method.target_modules {unmatched} match no linear layer of {type(model).__name__}; "
            f"use names or name endings of these layers (`*` is any layer index): "
            f"{', '.join(linear_layer_patterns(linear))}"
        )
    return counts


class LoRA(Method):
    """Freeze the model, add LoRA adapters to `target_modules`, and train the adapters and the head."""

    name = "lora"
    module_class = LoRAModule

    def __init__(
        self,
        rank: int = 8,
        alpha: float = 16.0,
        dropout: float = 0.1,
        target_modules: Sequence[str] = ("query", "value"),
        modules_to_save: Sequence[str] | None = None,
        bias: str = "none",
    ) -> None:
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise ConfigError(f"method.rank must be an integer >= 1, got {rank!r}")
        if alpha <= 0:
            raise ConfigError(f"method.alpha must be > 0, got {alpha!r}")
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"method.dropout must be in [0, 1), got {dropout!r}")
        if isinstance(target_modules, str) or not target_modules:
            raise ConfigError(f"method.target_modules must be a non-empty list of layer names, got {target_modules!r}")
        if bias not in BIAS_MODES:
            raise ConfigError(f"method.bias must be one of {BIAS_MODES}, got {bias!r}")
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.target_modules = [str(t) for t in target_modules]
        self.modules_to_save = None if modules_to_save is None else [str(m) for m in modules_to_save]
        self.bias = bias

    def prepare_model(self, model, task):
        from peft import LoraConfig, get_peft_model

        heads = self.modules_to_save if self.modules_to_save is not None else head_module_names(model)
        if not heads:
            log.warning("LoRA: %s has no task head outside the encoder; only the adapters are trained", type(model).__name__)
        counts = check_target_modules(model, self.target_modules, heads)
        config = LoraConfig(
            r=self.rank,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=self.target_modules,
            modules_to_save=heads or None,
            bias=self.bias,
        )
        model = get_peft_model(model, config)
        matched = ", ".join(f"{target} x{count}" for target, count in counts.items())
        log.info(
            "LoRA: rank %d, alpha %s, dropout %s on %s; trained in full: %s",
            self.rank, self.alpha, self.dropout, matched, ", ".join(heads) or "nothing",
        )
        return model

    def export(self, model, tokenizer, run_dir: Path) -> Path:
        """Save the adapter and head to `<run_dir>/adapter`, and the merged model to `<run_dir>/model`.

        The merged directory is a plain Hugging Face model: loading it needs neither peft nor the
        base model.
        """
        from transferlab.reporting.export import export_model

        export_model(model, tokenizer, run_dir / "adapter")
        merged = copy.deepcopy(model).merge_and_unload()
        return export_model(merged, tokenizer, run_dir / "model")
