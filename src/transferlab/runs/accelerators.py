"""Accelerator and precision checks that run before any model is loaded."""

from __future__ import annotations

from omegaconf import DictConfig

from transferlab.errors import ConfigError
from transferlab.log import get_logger
from transferlab.runs.precision import AUTO, auto_precision

log = get_logger(__name__)

GPU_ACCELERATORS = ("gpu", "cuda")
# Half-precision settings that need a CUDA GPU; on the CPU they fall back to bfloat16 autocast.
FLOAT16_PRECISIONS = ("16-mixed", "16-true")
# Every `trainer.precision` value Lightning 2 accepts, plus transferlab's `auto`. Lightning's short
# names are turned into the full ones first, so later checks compare one spelling.
PRECISION_ALIASES = {"64": "64-true", "32": "32-true", "16": "16-mixed", "bf16": "bf16-mixed"}
PRECISIONS = (AUTO, "64-true", "32-true", "bf16-mixed", "bf16-true", *FLOAT16_PRECISIONS, "transformer-engine", "transformer-engine-float16")


def visible_gpus() -> int:
    """Return the number of CUDA devices torch can use."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _requested_devices(devices) -> int | None:
    """Return the device count a `trainer.devices` value requests, or None for `auto`, -1 or a list."""
    if isinstance(devices, bool):
        return None
    if isinstance(devices, int):
        return devices if devices > 0 else None
    if isinstance(devices, str) and devices.isdigit():
        return int(devices)
    return None


def resolve_accelerator(cfg: DictConfig) -> tuple[str, str]:
    """Return the (accelerator, precision) the Trainer gets, or raise ConfigError for an impossible request.

    A GPU request on a machine without one is rejected; float16 precision on the CPU becomes
    bf16-mixed with a warning; `auto` precision is resolved by `auto_precision`.
    """
    accelerator = str(cfg.trainer.accelerator).lower()
    precision = PRECISION_ALIASES.get(str(cfg.trainer.precision), str(cfg.trainer.precision))
    if precision not in PRECISIONS:
        raise ConfigError(
            f"trainer.precision={cfg.trainer.precision!r} is not a precision; use one of {', '.join(PRECISIONS)} "
            f"(or Lightning's short names {', '.join(PRECISION_ALIASES)})"
        )
    gpus = visible_gpus()

    if accelerator in GPU_ACCELERATORS:
        if gpus == 0:
            raise ConfigError(
                f"trainer.accelerator={accelerator} requests a GPU, but torch sees no CUDA device on this machine; "
                "train on the CPU with `trainer=cpu` (or `trainer.accelerator=cpu`)"
            )
        requested = _requested_devices(cfg.trainer.devices)
        if requested is not None and requested > gpus:
            raise ConfigError(
                f"trainer.devices={requested} requests more GPUs than the {gpus} visible; "
                f"set trainer.devices={gpus} or fewer"
            )
    elif accelerator not in ("cpu", "auto"):
        raise ConfigError(f"trainer.accelerator must be cpu, gpu or auto, got {accelerator!r}")

    on_cpu = accelerator == "cpu" or (accelerator == "auto" and gpus == 0)
    if precision == AUTO:
        precision, reason = auto_precision(on_cpu)
        log.info("trainer.precision=auto: using %s, because %s", precision, reason)
    if on_cpu and precision in FLOAT16_PRECISIONS:
        log.warning(
            "trainer.precision=%s needs a CUDA GPU; training on the CPU with bf16-mixed instead", cfg.trainer.precision
        )
        precision = "bf16-mixed"
    return accelerator, precision
