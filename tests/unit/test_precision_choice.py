import logging

import pytest

from tests.conftest import compose_train
from transferlab.errors import ConfigError
from transferlab.runs import precision as precision_module
from transferlab.runs.accelerators import resolve_accelerator
from transferlab.runs.precision import auto_precision, cpu_bf16_flags

ZEN4_FLAGS = "flags\t\t: fpu vme sse2 avx2 avx512f avx512bw avx512_vnni avx512_bf16 avx_vnni\n"
SKYLAKE_FLAGS = "flags\t\t: fpu vme sse2 avx2 avx512f avx512bw avx512_vnni\n"
SAPPHIRE_RAPIDS_FLAGS = "flags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n"


def write_cpuinfo(tmp_path, flags_line):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: test CPU\n{flags_line}\nprocessor\t: 1\n{flags_line}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "flags_line, expected",
    [(ZEN4_FLAGS, ["avx512_bf16"]), (SAPPHIRE_RAPIDS_FLAGS, ["avx512_bf16", "amx_bf16"]), (SKYLAKE_FLAGS, [])],
)
def test_cpu_bf16_flags_read_from_cpuinfo(tmp_path, flags_line, expected):
    assert cpu_bf16_flags(write_cpuinfo(tmp_path, flags_line)) == expected


def test_missing_cpuinfo_means_no_bf16(tmp_path):
    assert cpu_bf16_flags(tmp_path / "absent") == []
    assert auto_precision(on_cpu=True, cpuinfo=tmp_path / "absent")[0] == "32-true"


def test_auto_bf16_needs_native_cpu(tmp_path):
    assert auto_precision(on_cpu=True, cpuinfo=write_cpuinfo(tmp_path, ZEN4_FLAGS))[0] == "bf16-mixed"
    assert auto_precision(on_cpu=True, cpuinfo=write_cpuinfo(tmp_path, SKYLAKE_FLAGS))[0] == "32-true"
    # GPUs keep fp32 under auto; the gpu trainer preset chooses bf16 itself.
    assert auto_precision(on_cpu=False, cpuinfo=write_cpuinfo(tmp_path, ZEN4_FLAGS))[0] == "32-true"


@pytest.mark.parametrize("flags_line, expected", [(ZEN4_FLAGS, "bf16-mixed"), (SKYLAKE_FLAGS, "32-true")])
def test_resolve_accelerator_resolves_auto_and_says_why(tmp_path, monkeypatch, caplog, flags_line, expected):
    monkeypatch.setattr(precision_module, "CPUINFO", write_cpuinfo(tmp_path, flags_line))
    cfg = compose_train(["trainer=cpu"])
    assert cfg.trainer.precision == "auto"
    with caplog.at_level(logging.INFO):
        assert resolve_accelerator(cfg) == ("cpu", expected)
    assert f"trainer.precision=auto: using {expected}, because this CPU" in caplog.text


def test_unknown_precision_rejected_before_model_load():
    cfg = compose_train(["trainer=cpu", "trainer.precision=bf17"])
    with pytest.raises(ConfigError, match=r"trainer.precision='bf17' is not a precision; use one of auto, "):
        resolve_accelerator(cfg)


@pytest.mark.parametrize("short, full", [("bf16", "bf16-mixed"), ("32", "32-true"), ("64", "64-true")])
def test_lightning_short_precision_names_accepted(short, full):
    assert resolve_accelerator(compose_train(["trainer=cpu", f"trainer.precision={short}"])) == ("cpu", full)


def test_bf16_plugin_only_for_cpu_and_cuda_strategies():
    from transferlab.runs.bf16_plugin import BF16MixedPrecision
    from transferlab.runs.precision import precision_plugin

    assert isinstance(precision_plugin("bf16-mixed", "cpu", "auto"), BF16MixedPrecision)
    assert isinstance(precision_plugin("bf16-mixed", "cpu", "ddp_spawn"), BF16MixedPrecision)
    assert precision_plugin("bf16-mixed", "cpu", "fsdp") is None
    assert precision_plugin("32-true", "cpu", "auto") is None
