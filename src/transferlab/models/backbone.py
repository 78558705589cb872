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


def resolve_trained_model_dir(path: str, key: str) -> Path:
    """Return the Hugging Face model directory of a finished run (`<run>/model`) or of a model directory."""
    if path in PACKAGED:
        return packaged_path(path)
    directory = Path(path).expanduser().resolve()
    if (directory / "model" / "config.json").is_file():
        return directory / "model"
    if (directory / "config.json").is_file():
        return directory
    if directory.is_dir():
        raise ConfigError(
            f"{key}={path!r}: {directory} has neither model/config.json (a finished run with export=true) "
            f"nor config.json (a model directory)"
        )
    raise ConfigError(f"{key}={path!r}: {directory} does not exist; give a finished run directory or a model directory")


def check_same_vocabulary(tokenizer, directory: Path, key: str) -> None:
    """Raise ConfigError when the tokenizer saved in `directory` maps tokens to other ids than `tokenizer`.

    Token ids index the embedding matrix, so two models can share inputs only with the same vocabulary.
    A directory without tokenizer files is compared by vocabulary size only, with a warning.
    """
    from transformers import AutoConfig, AutoTokenizer

    has_tokenizer = any((directory / name).is_file() for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json"))
    if not has_tokenizer:
        vocab_size = AutoConfig.from_pretrained(directory, local_files_only=True).vocab_size
        if vocab_size != len(tokenizer):
            raise ConfigError(
                f"{key}: the model in {directory} has a vocabulary of {vocab_size} tokens, but model.tokenizer has "
                f"{len(tokenizer)}; both models must use the same tokenizer"
            )
        log.warning("%s: %s has no tokenizer files; compared vocabulary sizes only (%d)", key, directory, vocab_size)
        return

    other = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    ours, theirs = tokenizer.get_vocab(), other.get_vocab()
    if ours != theirs:
        differing = sorted(set(ours.items()) ^ set(theirs.items()))[:3]
        raise ConfigError(
            f"{key}: the tokenizer in {directory} ({len(theirs)} tokens) differs from model.tokenizer "
            f"({len(ours)} tokens), e.g. {differing}; both models must use the same tokenizer"
        )
