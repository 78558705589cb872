import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from hydra_plugins.transferlab_sweepers.optuna_sweeper import distribution_of, format_value
from transferlab.config import CONFIG_DIR
from transferlab.config.resolvers import MAX_DIRNAME_BYTES, gpus_per_node, job_dirname


def test_job_dirname_replaces_slashes():
    assert job_dirname("data.source.train_file=/tmp/a.csv,seed=1") == "data.source.train_file=_tmp_a.csv,seed=1"
    assert job_dirname("") == "defaults"


def test_job_dirname_cuts_long_names():
    long_a = "optimizer.lr=0.001," + "x" * 400
    long_b = "optimizer.lr=0.002," + "x" * 400
    assert len(job_dirname(long_a).encode()) <= MAX_DIRNAME_BYTES
    assert job_dirname(long_a) != job_dirname(long_b)
    assert len(job_dirname("名" * 300).encode()) <= MAX_DIRNAME_BYTES


def test_gpus_per_node_follows_trainer():
    assert gpus_per_node("gpu", 4) == 4
    assert gpus_per_node("auto", "2") == 2
    assert gpus_per_node("cpu", 2) == 0


def _parse(line):
    return OverridesParser.create().parse_overrides([line])[0]


@pytest.mark.parametrize(
    "line, kind, expected",
    [
        ("optimizer.lr=tag(log, interval(1e-5, 1e-3))", "FloatDistribution", {"low": 1e-5, "high": 1e-3, "log": True}),
        ("scheduler.warmup_ratio=interval(0, 0.2)", "FloatDistribution", {"low": 0.0, "high": 0.2, "log": False}),
        ("data.batch_size=choice(16, 32)", "CategoricalDistribution", {"choices": (16, 32)}),
        ("seed=range(1, 8, 3)", "IntDistribution", {"low": 1, "high": 7, "step": 3}),
        ("optimizer.betas=[0.9,0.99],[0.8,0.9]", "CategoricalDistribution", {"choices": ("[0.9,0.99]", "[0.8,0.9]")}),
    ],
)
def test_search_space_translation(line, kind, expected):
    distribution = distribution_of(_parse(line))
    assert type(distribution).__name__ == kind
    for name, value in expected.items():
        assert getattr(distribution, name) == value


@pytest.mark.parametrize("value", [3.0e-5, 16, True, None, "[0.9,0.99]"])
def test_sampled_values_parse_back(value):
    parsed = _parse(f"key={format_value(value)}").value()
    expected = [0.9, 0.99] if value == "[0.9,0.99]" else value
    assert parsed == expected


def test_slurm_preset_follows_trainer():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(
            config_name="train",
            overrides=["hydra/launcher=slurm", "trainer=ddp", "trainer.accelerator=gpu", "trainer.devices=4", "trainer.num_nodes=2"],
            return_hydra_config=True,
        )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.nodes == 2
    assert launcher.tasks_per_node == 4
    assert launcher.gpus_per_node == 4
    assert OmegaConf.select(cfg, "hydra.launcher.timeout_min") == 240


def test_optuna_preset_searches_four_values():
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="train", overrides=["hparams_search=optuna_lr"], return_hydra_config=True)
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("OptunaSweeper")
    assert set(sweeper.params) == {"optimizer.lr", "data.batch_size", "scheduler.warmup_ratio", "optimizer.weight_decay"}
    assert sweeper.direction == "max"
