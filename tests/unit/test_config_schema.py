"""Config validation: types, unknown keys and values are rejected before anything heavy loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TINY, compose_train
from transferlab.config.checks import check_config
from transferlab.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["data.batch_size=abc"], r"invalid value for data\.batch_size"),
        (["trainer.max_epochs=1.5"], r"invalid value for trainer\.max_epochs"),
        (["seed=abc"], r"invalid value for seed"),
        (["data.split.train=x"], r"invalid value for data\.split\.train"),
        (["+data.batchsize=3"], r"unknown config key data\.batchsize; valid keys of data: .*batch_size"),
        (["+optimizer.learning_rate=1"], r"unknown config key optimizer\.learning_rate; valid keys of optimizer: .*\blr\b"),
        (["+trainer.max_epoch=3"], r"unknown config key trainer\.max_epoch; valid keys of trainer: .*max_epochs"),
        (["+data.split.dev=0.1"], r"unknown config key data\.split\.dev; valid keys of data\.split: train, validation, test"),
        (["+model.pretrain=x"], r"unknown config key model\.pretrain; valid keys of model: pretrained"),
        (["+max_epochs=3"], r"unknown config key max_epochs; valid keys of the top level: .*seed"),
        (["data=csv", "data.source.train_file=x.csv", "+data.source.sep=x"], r"unknown config key data\.source\.sep .*valid keys: train_file"),
        (["optimizer.lr=0"], r"optimizer\.lr must be a number > 0"),
        (["optimizer.lr=-1e-5"], r"optimizer\.lr must be a number > 0"),
        (["data.batch_size=0"], r"data\.batch_size must be a number >= 1"),
        (["data.split.train=0.5"], r"sum to 1"),
        (["data.labels=[fresh,rotten,fresh]"], r"data\.labels lists \['fresh'\] more than once"),
        (["objective_mode=maximum"], r"objective_mode must be min or max"),
    ],
)
def test_invalid_config_rejected(overrides, message):
    with pytest.raises(ConfigError, match=message):
        check_config(compose_train(TINY + overrides, "/tmp/unused"))


@pytest.mark.parametrize("overrides", [[], ["scheduler=none"], ["data=bbc_news"], ["data.labels=[fresh,rotten]"], ["trainer=gpu"]])
def test_valid_config_accepted(overrides):
    check_config(compose_train(TINY + overrides, "/tmp/unused"))


def test_experiment_presets_pass_schema():
    from transferlab.config import CONFIG_DIR

    from transferlab.config.schema import validate_schema

    # Values a preset leaves to the user; the teacher directory need not exist for the schema check.
    required = {"distill_rotten_tomatoes": ["method.teacher=/tmp/teacher_run"]}
    presets = sorted(path.stem for path in (CONFIG_DIR / "experiment").glob("*.yaml"))
    assert presets
    for name in presets:
        validate_schema(compose_train([f"experiment={name}", *required.get(name, [])], "/tmp/unused"))


def test_validation_imports_no_torch():
    script = (
        f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r});"
        "from tests.conftest import compose_train;"
        "from transferlab.config.checks import check_config;"
        "from transferlab.errors import ConfigError;"
        "cfg = compose_train(['+data.batchsize=3'], '/tmp/unused');"
        "raised = False\n"
        "try: check_config(cfg)\n"
        "except ConfigError: raised = True\n"
        "heavy = [m for m in ('torch', 'transformers', 'pytorch_lightning') if m in sys.modules];"
        "print(raised, heavy)"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "True []"
