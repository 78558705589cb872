"""transferlab's own training path: the default config, run through `run_training` like `transferlab-train`.

The run is the full job a user gets: W&B offline and CSV loggers, progress bar, checkpointing, test
report and model export. Only the caps, batch size and epoch count are set to the shared workload.
Each run starts with an empty tokenization cache, so its first step includes tokenization like the
other loops'.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from benchmarks.measure import LoopResult, Stopwatch, peak_rss_mib
from benchmarks.settings import Workload

_CALLBACK_TARGET = f"{__name__}.TimingCallback"


@cache
def _timing_callback_class():
    import pytorch_lightning as pl

    class TimingCallback(pl.Callback):
        """Times the first training epoch and the first validation pass of `fit`."""

        instances: list = []

        def __init__(self) -> None:
            self.readings: dict[str, float] = {}
            self.clock = Stopwatch()
            TimingCallback.instances.append(self)

        def _read(self, name: str) -> None:
            self.readings[name] = self.clock.elapsed()
            self.readings[f"{name}_cpu"] = self.clock.cpu_elapsed()

        def on_train_epoch_start(self, trainer, pl_module) -> None:
            if "train_start" not in self.readings:
                self._read("train_start")
                self.precision = str(trainer.precision)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            self.readings.setdefault("first_step", self.clock.elapsed())
            if trainer.current_epoch == 0:
                self._read("train_end")

        def on_validation_start(self, trainer, pl_module) -> None:
            if "eval_end" not in self.readings:
                self._read("eval_start")

        def on_validation_end(self, trainer, pl_module) -> None:
            if "eval_end" not in self.readings:
                self._read("eval_end")

    return TimingCallback


def __getattr__(name: str):
    # Hydra instantiates the callback by its dotted path; the class is built on first use so that
    # importing this module does not import Lightning.
    if name == "TimingCallback":
        return _timing_callback_class()
    raise AttributeError(name)


def compose_config(workload: Workload, run_dir: Path, extra_overrides: list[str] = ()):
    """Compose the default `train` config with the workload's sizes and a timing callback."""
    from hydra import compose, initialize_config_dir
    from omegaconf import open_dict

    from transferlab.config import CONFIG_DIR

    overrides = [
        f"seed={workload.seed}",
        f"data.max_train_samples={workload.train_samples}",
        f"data.max_eval_samples={workload.eval_samples}",
        f"data.max_test_samples={workload.eval_samples}",
        f"data.batch_size={workload.batch_size}",
        f"data.eval_batch_size={workload.batch_size}",
        f"data.max_length={workload.max_length}",
        f"optimizer.lr={workload.learning_rate}",
        "trainer.max_epochs=1",
        f"+callbacks.benchmark_timing._target_={_CALLBACK_TARGET}",
        *extra_overrides,
    ]
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    with open_dict(cfg):
        cfg.paths.run_dir = str(run_dir)
        cfg.paths.cache_dir = str(run_dir / "tokenization-cache")
    return cfg


def run(workload: Workload, started: float, overrides: list[str] = ()) -> LoopResult:
    """Run the default training job on the workload; `overrides` are extra Hydra overrides."""
    from transferlab.runs.training import run_training

    process_clock = Stopwatch(started)
    run_dir = Path(workload.output_dir) / f"transferlab-{os.getpid()}"
    cfg = compose_config(workload, run_dir, list(overrides))
    accuracy = run_training(cfg)

    timing = _timing_callback_class().instances[-1]
    readings = timing.readings
    # The callback's clock starts when Hydra builds it; shift its readings onto the process clock.
    offset = process_clock.elapsed() - timing.clock.elapsed()
    train_seconds = readings["train_end"] - readings["train_start"]
    eval_seconds = readings["eval_end"] - readings["eval_start"]
    train_cpu_seconds = readings["train_end_cpu"] - readings["train_start_cpu"]
    eval_cpu_seconds = readings["eval_end_cpu"] - readings["eval_start_cpu"]
    return LoopResult(
        train_samples_per_s=workload.train_samples / train_seconds,
        eval_samples_per_s=workload.eval_samples / eval_seconds,
        train_samples_per_cpu_s=workload.train_samples / train_cpu_seconds,
        eval_samples_per_cpu_s=workload.eval_samples / eval_cpu_seconds,
        first_step_s=offset + readings["first_step"],
        peak_rss_mib=peak_rss_mib(),
        eval_accuracy=float(accuracy),
        extra={"precision": timing.precision},  # as the trainer resolved it, not `auto`
    )
