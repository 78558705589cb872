"""Structured schemas of the main config groups: types are checked and unknown keys rejected.

Each group of the composed config is merged into its dataclass with OmegaConf, which converts and
checks every value; an error names the full key and, for an unknown key, lists the valid ones.
Groups built from a `_target_` whose keys depend on the target (method, logger, callbacks) are left
to Hydra's `instantiate`; `data.source` is checked against its class's parameters.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException

from transferlab.errors import ConfigError

# OmegaConf 2.3 reads the annotations at run time and needs `typing` generics, not `dict[...]`.
# ruff: noqa: UP006, UP007


@dataclass
class SplitSchema:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1


@dataclass
class DataSchema:
    source: Dict[str, Any] = field(default_factory=dict)
    task: str = "sequence_classification"
    task_options: Optional[Dict[str, Any]] = None
    split: SplitSchema = field(default_factory=SplitSchema)
    labels: Optional[List[str]] = None
    empty_text: str = "drop"
    max_train_samples: Optional[int] = None
    max_train_samples_per_label: Optional[int] = None
    max_eval_samples: Optional[int] = None
    max_test_samples: Optional[int] = None
    batch_size: int = 32
    eval_batch_size: int = 64
    max_length: int = 128
    num_workers: int = 0


@dataclass
class ModelSchema:
    pretrained: Optional[str] = None
    tokenizer: str = "minilm-l6"
    config_overrides: Dict[str, Any] = field(default_factory=dict)
    init_from: Optional[str] = None
    reinit_head: bool = True
    keep_layers: Optional[List[int]] = None


@dataclass
class OptimizerSchema:
    _target_: str = "torch.optim.AdamW"
    _partial_: bool = True
    lr: float = 5e-5
    weight_decay: float = 0.0
    betas: Optional[List[float]] = None
    eps: Optional[float] = None
    momentum: Optional[float] = None
    dampening: Optional[float] = None
    nesterov: Optional[bool] = None
    amsgrad: Optional[bool] = None
    maximize: Optional[bool] = None
    foreach: Optional[bool] = None
    fused: Optional[bool] = None


@dataclass
class SchedulerSchema:
    _target_: Optional[str] = None
    _partial_: bool = True
    warmup_ratio: float = 0.0
    warmup_steps: Optional[int] = None


@dataclass
class TrainerSchema:
    _target_: str = "pytorch_lightning.Trainer"
    accelerator: str = "cpu"
    devices: Any = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: Any = "auto"
    max_epochs: Optional[int] = 1
    min_epochs: Optional[int] = None
    max_steps: int = -1
    min_steps: Optional[int] = None
    max_time: Any = None
    gradient_clip_val: Optional[float] = None
    gradient_clip_algorithm: Optional[str] = None
    accumulate_grad_batches: int = 1
    val_check_interval: Any = 1.0
    check_val_every_n_epoch: Optional[int] = 1
    limit_train_batches: Any = None
    limit_val_batches: Any = None
    limit_test_batches: Any = None
    overfit_batches: Any = 0.0
    fast_dev_run: Any = False
    log_every_n_steps: int = 50
    num_sanity_val_steps: int = 0
    deterministic: Any = False
    benchmark: Optional[bool] = None
    detect_anomaly: bool = False
    enable_progress_bar: bool = True
    enable_model_summary: bool = False
    enable_checkpointing: bool = True
    use_distributed_sampler: bool = False
    reload_dataloaders_every_n_epochs: int = 0
    sync_batchnorm: bool = False
    inference_mode: bool = True
    profiler: Optional[str] = None
    barebones: bool = False


@dataclass
class PathsSchema:
    output_root: str = "outputs"
    run_dir: str = "outputs/run"
    cache_dir: Optional[str] = None


@dataclass
class TrainSchema:
    """Top-level keys of `conf/train.yaml`; groups without a fixed shape are `Any`."""

    task_name: str = "train"
    seed: int = 42
    objective: str = "val/acc"
    objective_mode: str = "max"
    test: bool = True
    export: bool = True
    resume: bool = False
    ckpt_path: Optional[str] = None
    data: Any = None
    model: Any = None
    method: Any = None
    optimizer: Any = None
    scheduler: Any = None
    trainer: Any = None
    logger: Any = None
    callbacks: Any = None
    paths: Any = None
    augment: Any = None
    hparams_search: Any = None


GROUP_SCHEMAS = {
    "": TrainSchema,
    "data": DataSchema,
    "model": ModelSchema,
    "optimizer": OptimizerSchema,
    "scheduler": SchedulerSchema,
    "trainer": TrainerSchema,
    "paths": PathsSchema,
}


def validate_schema(cfg: DictConfig) -> None:
    """Raise `ConfigError` for a value of the wrong type or an unknown key in a main group."""
    resolved = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))
    groups = dict(GROUP_SCHEMAS)
    if "optimizer" not in resolved:
        del groups[""]  # another entry point's config (evaluation, prediction) has other top-level keys
    datasets = {"data": OmegaConf.select(resolved, "data")}
    if isinstance(datasets["data"], DictConfig) and "tasks" in datasets["data"]:
        # A multi-task config contains one whole dataset config per task under data.tasks.
        del groups["data"]
        datasets = {f"data.tasks.{name}": node for name, node in datasets["data"].tasks.items()}

    for group, schema in groups.items():
        node = resolved if not group else OmegaConf.select(resolved, group)
        if node is None:
            continue
        _merge(schema, node, group)
    for prefix, node in datasets.items():
        if node is None:
            continue
        if prefix != "data":
            _merge(DataSchema, node, prefix)
        source = node.get("source") if isinstance(node, DictConfig) else None
        if source is not None:
            check_target_parameters(source, f"{prefix}.source")


def _merge(schema: type, node: Any, group: str) -> None:
    prefix = f"{group}." if group else ""
    if not isinstance(node, DictConfig):
        raise ConfigError(f"{group} must be a mapping of keys to values, got {node!r}")
    try:
        OmegaConf.merge(OmegaConf.structured(schema), node)
    except ConfigKeyError as error:
        key = f"{prefix}{error.full_key}"
        parent = key.rsplit(".", 1)[0] if "." in key else "the top level"
        valid = ", ".join(_field_names(schema, error.full_key))
        raise ConfigError(f"unknown config key {key}; valid keys of {parent}: {valid}") from None
    except OmegaConfBaseException as error:
        message = str(error).splitlines()[0]
        raise ConfigError(f"invalid value for {prefix}{error.full_key}: {message}") from None


def _field_names(schema: type, full_key: str) -> list[str]:
    """Return the field names of the (possibly nested) dataclass that contains `full_key`."""
    for part in full_key.split(".")[:-1]:
        nested = {f.name: f for f in fields(schema)}.get(part)
        if nested is None or not isinstance(nested.default_factory, type):
            break
        schema = nested.default_factory
    return [f.name for f in fields(schema)]


def check_target_parameters(node: DictConfig, key: str) -> None:
    """Reject keys that the `_target_` class or function of `node` does not take."""
    from hydra.utils import get_object

    target = node.get("_target_")
    if target is None:
        raise ConfigError(f"{key} has no _target_; set {key}._target_ to the class that reads the data")
    try:
        built = get_object(target)
    except Exception as error:  # noqa: BLE001 -- Hydra wraps import failures in several types
        raise ConfigError(f"{key}._target_={target!r} cannot be imported: {error}") from None
    parameters = inspect.signature(built).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    valid = [name for name in parameters if name != "self"]
    for name in node:
        if str(name).startswith("_") and str(name).endswith("_"):
            continue
        if name not in valid:
            raise ConfigError(f"unknown config key {key}.{name} for {target}; valid keys: {', '.join(valid)}")
