"""Two-stage transfer: start a model from the encoder of an earlier run, with a head for the new labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.models.backbone import resolve_trained_model_dir

log = get_logger(__name__)


def _summarise(keys: list[str], limit: int = 6) -> str:
    if not keys:
        return "none"
    shown = ", ".join(keys[:limit])
    return shown if len(keys) <= limit else f"{shown} and {len(keys) - limit} more"


def _check_reused_head(source_config, source_dir: Path, target_class: str, id2label: dict[int, str]) -> None:
    """Raise unless the source head has the target's architecture and the same labels in the same order."""
    architectures = source_config.architectures or []
    if target_class not in architectures:
        raise ConfigError(
            f"model.reinit_head=false reuses the head of {source_dir}, but that head belongs to "
            f"{architectures or 'an unknown architecture'}, not {target_class}; set model.reinit_head=true"
        )
    source_labels = [source_config.id2label[i] for i in range(source_config.num_labels)]
    target_labels = [id2label[i] for i in range(len(id2label))]
    if len(source_labels) != len(target_labels):
        raise ConfigError(
            f"model.reinit_head=false reuses the head of {source_dir}, which has {len(source_labels)} labels, "
            f"but the data has {len(target_labels)}; set model.reinit_head=true for a new head"
        )
    if source_labels != target_labels:
        raise ConfigError(
            f"model.reinit_head=false: the head of {source_dir} predicts {source_labels}, but the data has "
            f"{target_labels}; set data.labels to the source order or model.reinit_head=true"
        )


def init_from_run(
    auto_model_class,
    init_from: str,
    id2label: dict[int, str],
    reinit_head: bool = True,
    config_overrides: dict[str, Any] | None = None,
):
    """Return a model with the encoder weights of `init_from` (a run directory or model directory).

    With `reinit_head` the task head is freshly initialised for `id2label`. Without it the source's
    head is loaded too, so the source must have the same architecture and the same labels in the same order.
    """
    from transformers import AutoConfig

    source_dir = resolve_trained_model_dir(init_from, "model.init_from")
    labels = {"num_labels": len(id2label), "id2label": dict(id2label), "label2id": {v: k for k, v in id2label.items()}}
    source_config = AutoConfig.from_pretrained(source_dir, local_files_only=True)
    config = AutoConfig.from_pretrained(source_dir, local_files_only=True, **(config_overrides or {}), **labels)
    model = auto_model_class.from_config(config)
    if not reinit_head:
        _check_reused_head(source_config, source_dir, type(model).__name__, id2label)

    # The source is loaded with its own config, so its head keeps its own size and no weight is
    # truncated or reshaped. Only the tensors chosen below are copied into the new model.
    source = type(model).from_pretrained(source_dir, config=source_config, local_files_only=True)
    encoder = model.base_model_prefix
    source_state = source.state_dict()
    target_state = model.state_dict()

    chosen, skipped = {}, []
    for key, tensor in source_state.items():
        in_encoder = key.startswith(f"{encoder}.")
        if not in_encoder and reinit_head:
            skipped.append(key)
            continue
        if key not in target_state:
            skipped.append(key)
            continue
        if target_state[key].shape != tensor.shape:
            raise ConfigError(
                f"model.init_from: {key} has shape {tuple(tensor.shape)} in {source_dir} but "
                f"{tuple(target_state[key].shape)} in the new model; remove model.config_overrides that change its size"
            )
        chosen[key] = tensor
    result = model.load_state_dict(chosen, strict=False)
    initialised = sorted(result.missing_keys)

    log.info(
        "Initialised %s from %s: loaded %d tensors (%s); newly initialised: %s; not used from the source: %s",
        type(model).__name__, source_dir, len(chosen), "encoder and head" if not reinit_head else "encoder",
        _summarise(initialised), _summarise(sorted(skipped)),
    )
    return model
