"""Numeric precision: what `trainer.precision=auto` picks, and the bf16 plugin the Trainer gets.

`auto` picks bf16-mixed on CPUs with native bfloat16 instructions, where `make bench` measured
bf16 autocast faster than fp32 with the same accuracy (docs/benchmarks.md), and 32-true everywhere
else. Reading the CPU flags needs no torch, so the choice is made before any model is loaded.
"""

from __future__ import annotations

from pathlib import Path

AUTO = "auto"
BF16 = "bf16-mixed"
FP32 = "32-true"
# CPU flags (as Linux names them in /proc/cpuinfo) of native bfloat16 arithmetic: AVX-512 BF16
# dot products, or AMX tiles. Without them oneDNN emulates bf16 and autocast is slower than fp32.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
CPUINFO = Path("/proc/cpuinfo")


def cpu_bf16_flags(cpuinfo: Path | None = None) -> list[str]:
    """Return the native bfloat16 flags this CPU reports, or [] where /proc/cpuinfo is missing (macOS, Windows)."""
    try:
        text = (cpuinfo or CPUINFO).read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return [flag for flag in NATIVE_BF16_FLAGS if flag in flags]
    return []


def auto_precision(on_cpu: bool, cpuinfo: Path | None = None) -> tuple[str, str]:
    """Return (precision, reason) for `trainer.precision=auto`.

    On GPUs the choice stays 32-true: no GPU measurement backs a default there, and the `gpu`
    trainer preset sets bf16-mixed itself.
    NOTE: every process decides for its own CPU, so set the precision explicitly for multi-node
    runs on machines of different CPU types.
    """
    if not on_cpu:
        return FP32, "bf16 is chosen automatically on CPUs only; set trainer.precision=bf16-mixed for GPUs that support it"
    flags = cpu_bf16_flags(cpuinfo)
    if flags:
        return BF16, f"this CPU has native bfloat16 instructions ({', '.join(flags)})"
    return FP32, "this CPU has no native bfloat16 instructions, so bf16 autocast would be slower than fp32"


def precision_plugin(precision: str, accelerator: str, strategy: str):
    """Return the Lightning precision plugin for `precision`, or None to pass `precision` to the Trainer as is.

    bf16-mixed gets `BF16MixedPrecision`, which lets a fused optimizer clip gradients, on the CPU and
    on CUDA GPUs with the single-device or DDP strategies. Elsewhere (Apple MPS, FSDP, DeepSpeed,
    which need precision plugins of their own) Lightning builds its plugin from the string.
    NOTE: only the CPU path has run; the CUDA path is built the same way but untested here.
    """
    if precision != BF16 or not (strategy == "auto" or strategy.startswith("ddp")):
        return None
    device = _autocast_device(accelerator)
    if device is None:
        return None
    from transferlab.runs.bf16_plugin import BF16MixedPrecision

    return BF16MixedPrecision(device)


def _autocast_device(accelerator: str) -> str | None:
    """Return the autocast device type the trainer will run on, cpu or cuda, or None for any other device."""
    if accelerator == "cpu":
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if accelerator == "auto" and not (mps is not None and mps.is_available()):
        return "cpu"
    return None

