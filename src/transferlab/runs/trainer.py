"""Build the Lightning Trainer with the configured loggers and callbacks plus the run-safety parts."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig

from transferlab.log import get_logger
from transferlab.runs.checkpointing import AtomicCheckpointIO, LabelNamesCheckpoint, RandomStateCheckpoint
from transferlab.runs.components import build_entries
from transferlab.runs.numerics import FiniteLossGuard
from transferlab.runs.precision import precision_plugin as build_precision_plugin

log = get_logger(__name__)


def build_trainer(
    cfg: DictConfig, run_dir: Path, label_names: list[str], accelerator: str, precision: str
) -> tuple[pl.Trainer, list]:
    """Return the trainer and its loggers; `accelerator` and `precision` come from `resolve_accelerator`.

    Every trainer gets atomic checkpoint writes, the random state and label names in each
    checkpoint, and a guard that stops on a NaN or infinite loss, whatever the callbacks group contains.
    """
    # The data module stores and restores the position inside an epoch itself (its state_dict), which
    # this Lightning warning does not know about.
    warnings.filterwarnings("ignore", message=".*your dataloader is not resumable.*")
    loggers = build_entries(cfg.get("logger"), "logger")
    callbacks = build_entries(cfg.get("callbacks"), "callback")
    callbacks += [FiniteLossGuard(), RandomStateCheckpoint(), LabelNamesCheckpoint(label_names)]
    plugins = [AtomicCheckpointIO()]
    precision_plugin = build_precision_plugin(precision, accelerator, str(cfg.trainer.strategy))
    if precision_plugin is not None:
        # Lightning takes the precision either as a flag or as a plugin, never both.
        plugins.append(precision_plugin)
    trainer: pl.Trainer = instantiate(
        cfg.trainer,
        accelerator=accelerator,
        precision=None if precision_plugin is not None else precision,
        logger=loggers or False,
        callbacks=callbacks,
        plugins=plugins,
        default_root_dir=str(run_dir),
    )
    log.info(
        "Instantiated trainer <%s> (accelerator %s, devices %s, strategy %s, precision %s, deterministic %s)",
        cfg.trainer._target_, accelerator, cfg.trainer.devices, cfg.trainer.strategy, trainer.precision,
        cfg.trainer.get("deterministic"),
    )
    return trainer, loggers
