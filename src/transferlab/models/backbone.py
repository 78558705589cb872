"""Load tokenizers and pretrained encoders from local directories only, never from a hub."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.resources import PACKAGED, packaged_path

log = get_logger(__name__)

# Nothing is fetched at run time: transformers must not reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def resolve_model_dir(name_or_path: str, key: str = "model.pretrained") -> Path:
    """Return the local directory for a packaged model name or a path, or raise with what to set."""
    if name_or_path in PACKAGED:
        return packaged_path(name_or_path)
    path = Path(name_or_path).expanduser().resolve()
    if path.is_dir():
        if not (path / "config.json").is_file() and not (path / "tokenizer.json").is_file() and not (path / "vocab.txt").is_file():
            raise ConfigError(f"{key}={name_or_path!r}: {path} has no config.json or tokenizer files; is it a model directory?")
        return path
    raise ConfigError(
        f"{key}={name_or_path!r} is not a local directory, and models cannot be downloaded here; "
        f"point {key} at a local Hugging Face model directory (with config.json and weights) "
        f"or use a packaged model: {', '.join(n for n in PACKAGED if n.startswith('minilm'))}"
    )


def load_tokenizer(name_or_path: str):
    """Load a fast tokenizer from a local directory."""
    from transformers import AutoTokenizer

    directory = resolve_model_dir(name_or_path, "model.tokenizer")
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"model.tokenizer={name_or_path!r} loads a slow tokenizer; transferlab needs a fast one (tokenizer.json)")
    return tokenizer


def build_backbone(
    auto_model_class,
    pretrained: str | None,
    num_labels: int,
    id2label: dict[int, str],
    config_overrides: dict[str, Any] | None = None,
    vocab_size: int | None = None,
):
    """Return a model with a freshly initialised head of `num_labels` outputs.

    With `pretrained` the encoder weights are loaded from a local directory; without it a BERT
    encoder is built from `config_overrides` with random weights (for fast tests).
    """
    from transformers import AutoConfig, BertConfig

    labels = {"num_labels": num_labels, "id2label": dict(id2label), "label2id": {v: k for k, v in id2label.items()}}
    overrides = dict(config_overrides or {})
    if pretrained is None:
        config = BertConfig(vocab_size=vocab_size or 30522, **overrides, **labels)
        model = auto_model_class.from_config(config)
        log.info("Built %s from a config with random weights (%s)", type(model).__name__, overrides)
        return model

    directory = resolve_model_dir(pretrained)
    config = AutoConfig.from_pretrained(directory, local_files_only=True, **overrides, **labels)
    model = auto_model_class.from_pretrained(directory, config=config, local_files_only=True)
    log.info("Loaded %s from %s", type(model).__name__, directory)
    return model


def count_parameters(model) -> tuple[int, int]:
    """Return (trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total
