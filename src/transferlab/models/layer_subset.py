"""Smaller copies of an encoder that keep a chosen subset of its transformer layers."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from transferlab.errors import ConfigError
from transferlab.log import get_logger

log = get_logger(__name__)


def _layer_list(model: nn.Module, num_layers: int) -> tuple[nn.Module, str, nn.ModuleList]:
    """Return (parent, attribute, layers) of the encoder's only ModuleList with `num_layers` entries."""
    found = []
    for parent in model.modules():
        for attribute, child in parent.named_children():
            if isinstance(child, nn.ModuleList) and len(child) == num_layers:
                found.append((parent, attribute, child))
    if len(found) != 1:
        raise ConfigError(
            f"model.keep_layers: found {len(found)} ModuleLists of {num_layers} modules in {type(model).__name__}, "
            f"expected exactly one list of transformer layers; keep_layers supports BERT-like encoders"
        )
    return found[0]


def check_keep_layers(keep_layers: Sequence[int], num_layers: int) -> list[int]:
    """Return the layer indices as a list, rejecting repeats, bad order and indices out of range."""
    indices = list(keep_layers)
    if not indices or any(isinstance(i, bool) or not isinstance(i, int) for i in indices):
        raise ConfigError(f"model.keep_layers must be a non-empty list of layer indices, got {indices!r}")
    if indices != sorted(set(indices)):
        raise ConfigError(f"model.keep_layers must be increasing without repeats, got {indices}")
    if indices[0] < 0 or indices[-1] >= num_layers:
        raise ConfigError(f"model.keep_layers {indices} must lie in 0..{num_layers - 1}: the model has {num_layers} layers")
    return indices


def keep_layers(model: nn.Module, keep: Sequence[int]) -> nn.Module:
    """Drop every transformer layer of `model` but those at `keep`, in place, and update its config."""
    num_layers = model.config.num_hidden_layers
    indices = check_keep_layers(keep, num_layers)
    parent, attribute, layers = _layer_list(model, num_layers)

    kept = nn.ModuleList(layers[i] for i in indices)
    # Attention modules record their position for key/value caches; renumber them to match.
    for position, layer in enumerate(kept):
        for module in layer.modules():
            if hasattr(module, "layer_idx"):
                module.layer_idx = position
    setattr(parent, attribute, kept)
    model.config.num_hidden_layers = len(indices)
    log.info("Kept layers %s of %d (%s)", indices, num_layers, type(model).__name__)
    return model
