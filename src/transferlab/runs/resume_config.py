"""The config a `resume=true` run continues with: the run's own overrides, recomposed, plus the new ones.

A run records the overrides of the command that started it in `run.json` (`overrides`). Resuming
composes the config again from those overrides followed by the resuming command's own, so nothing
needs to be typed twice. Interpolations such as `${paths.run_dir}` then follow the directory the
run is resumed in, and group overrides (`model=x`, `trainer=gpu`) compose as they would on a new
run. Once training has restored the checkpoint, the merged list becomes the run's record in
`run.json` (`ResumeCommit`), so a later resume keeps every earlier change and a resume that fails
before that point changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from transferlab.errors import ConfigError
from transferlab.log import get_logger, process_rank
from transferlab.runs.manifest import read_manifest

log = get_logger(__name__)

# Overrides that belong to one command, never to the run: Hydra's own settings (except the config
# search path, which composing needs), the resume switches, and the run directory, which is always
# the directory being resumed.
_COMMAND_ONLY_KEYS = ("hydra", "resume", "ckpt_path")
_RUN_KEYS = ("hydra.searchpath",)


def command_line_overrides() -> list[str] | None:
    """Return the overrides typed on this command line, or None outside a Hydra application."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return None
    return list(HydraConfig.get().overrides.task)


def override_key(override: str) -> str:
    """Return the config key of a Hydra override: `+a.b=1`, `~a.b` and `a.b=1` all name `a.b`."""
    return override.split("=", 1)[0].lstrip("+~").strip()


def _command_only(override: str) -> bool:
    key = override_key(override)
    if key in _RUN_KEYS:
        return False
    return key == "paths.run_dir" or key.split(".")[0].split("@")[0] in _COMMAND_ONLY_KEYS


def merge_overrides(recorded: list[str], new: list[str]) -> list[str]:
    """Return the run's recorded overrides with those of the same key replaced by the new ones, then the new ones.

    A deletion (`~key`) also replaces the recorded overrides of keys inside `key`. `resume`,
    `ckpt_path`, `paths.run_dir` and `hydra.*` overrides other than `hydra.searchpath` are dropped,
    because they describe one command, not the run.
    """
    new = [override for override in new if not _command_only(override)]
    replaced = {override_key(override) for override in new}
    deleted = tuple(f"{override_key(override)}." for override in new if override.startswith("~"))

    def superseded(override: str) -> bool:
        key = override_key(override)
        return key in replaced or key.startswith(deleted)

    still_valid = [o for o in recorded if not _command_only(o) and not superseded(o)]
    return still_valid + new


def recorded_overrides(previous: dict[str, Any], run_dir: Path) -> list[str]:
    """Return the command-line overrides of the run whose `run.json` is `previous`.

    A `run.json` written before overrides were recorded has none, so they are read from the command
    line it stores. A run started from Python records None and cannot be resumed from the command line.
    """
    if "overrides" not in previous:
        command = previous.get("command") or []
        recovered = [arg for arg in command[2:] if "=" in arg and not arg.startswith("-")]
        log.warning("%s records no overrides; using those of its command line: %s", run_dir / "run.json", " ".join(recovered))
        return recovered
    if previous["overrides"] is None:
        raise ConfigError(
            f"the run in {run_dir} was started from Python (run_training), not the command line, so its overrides "
            "are unknown; resume it from Python with the config it started with and resume=true"
        )
    return list(previous["overrides"])


def resumed_config(cfg: DictConfig, run_dir: Path, overrides: list[str] | None) -> tuple[DictConfig, list[str] | None]:
    """Return (config, overrides to record) for `resume=true` in `run_dir`.

    `overrides` are this command's (`command_line_overrides()`). Outside a Hydra application (None)
    `cfg` is returned as the caller composed it, and `start_run` warns about every value that
    differs from the recorded config. Without `run.json` `cfg` is returned too, and `start_run`
    reports the missing run. Raises `ConfigError` when the run was started from Python, so its
    overrides are unknown, or when the merged overrides do not compose.
    """
    previous = read_manifest(run_dir)
    if previous is None or overrides is None:
        return cfg, overrides
    recorded = recorded_overrides(previous, run_dir)
    if process_rank() == 0:
        # Hydra has already replaced .hydra/ with this command's files. Put the run's back first, so
        # they stay right when the resume is rejected below.
        rewrite_hydra_records(OmegaConf.create(previous.get("config") or {}), run_dir, recorded)

    from hydra import compose
    from hydra.core.hydra_config import HydraConfig

    merged = merge_overrides(recorded, overrides)
    try:
        composed = compose(config_name=HydraConfig.get().job.config_name, overrides=[*merged, *_resume_switches(overrides)])
    except Exception as error:  # Hydra raises several exception types for overrides that do not compose
        raise ConfigError(
            f"could not compose the config of the run in {run_dir} from its recorded overrides "
            f"({' '.join(recorded) or 'none'}) followed by this command's ({' '.join(overrides)}): {error}. "
            "Change this command's overrides, or use `++key=value` to set a key the run deleted or added"
        ) from None
    # The run continues where its run.json is, whatever paths.run_dir the recorded overrides named.
    composed.paths.run_dir = str(run_dir)
    _keep_recorded_precision(composed, previous)
    log.info("Resuming with the run's overrides and this command's: %s", " ".join(merged) or "(none)")
    return composed, merged


def _resume_switches(overrides: list[str]) -> list[str]:
    """Return this command's `resume` and `ckpt_path` overrides, which the composed config needs too."""
    return [o for o in overrides if override_key(o) in ("resume", "ckpt_path")]


def _keep_recorded_precision(cfg: DictConfig, previous: dict[str, Any]) -> None:
    """Pin `trainer.precision=auto` to the precision the run trained with, so a resume on another CPU keeps it."""
    accelerator = previous.get("accelerator")
    recorded = accelerator.get("precision") if isinstance(accelerator, dict) else None
    if str(OmegaConf.select(cfg, "trainer.precision")) == "auto" and recorded:
        cfg.trainer.precision = recorded
        log.info("trainer.precision=auto: keeping %s, the precision the run started with", recorded)


def rewrite_hydra_records(cfg: DictConfig, run_dir: Path, overrides: list[str]) -> None:
    """Write the run's overrides and config into `.hydra/overrides.yaml` and `.hydra/config.yaml`.

    Hydra writes these files into its output directory before the job starts. When that directory
    is the run directory, they would otherwise describe only the resuming command, and sweep
    summaries read the job's swept values from them. Files outside the run directory stay as Hydra
    wrote them.
    """
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    hydra_cfg = HydraConfig.get()
    output_dir = OmegaConf.select(hydra_cfg, "runtime.output_dir", default=None)
    if hydra_cfg.output_subdir is None or output_dir is None or Path(output_dir).resolve() != run_dir.resolve():
        return
    from transferlab.reporting.files import write_text_atomic

    directory = run_dir / hydra_cfg.output_subdir
    write_text_atomic(directory / "overrides.yaml", OmegaConf.to_yaml(OmegaConf.create(list(overrides))))
    write_text_atomic(directory / "config.yaml", OmegaConf.to_yaml(cfg))
