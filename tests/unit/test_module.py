"""The Lightning module and backbone loading, with a tiny random BERT."""

import pytest
import pytorch_lightning as pl
import torch

from transferlab.data.datamodule import TextDataModule
from transferlab.data.examples import Example
from transferlab.data.preparation import prepare
from transferlab.errors import ConfigError
from transferlab.models.backbone import build_backbone, load_tokenizer, resolve_model_dir
from transferlab.models.module import TransferModule
from transferlab.models.optimization import linear_warmup_decay
from transferlab.tasks.sequence import SequenceClassification

TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm-l6")


def _prepared(n=80):
    words = {"pos": "great wonderful superb", "neg": "awful boring dull"}
    examples = [Example(f"{words[label]} film number {i}", label, f"f:{i}") for i in range(n) for label in ("pos", "neg")]
    return prepare({"all": examples}, {"train": 0.8, "validation": 0.1, "test": 0.1}, 0, {})


def _module(tokenizer, prepared, lr=1e-3):
    task = SequenceClassification()
    model = build_backbone(task.auto_model_class(), None, 2, prepared.id2label, TINY_BERT, len(tokenizer))
    scheduler = lambda optimizer, num_training_steps: linear_warmup_decay(optimizer, num_training_steps, warmup_steps=2)
    return TransferModule(model, task, prepared.id2label, lambda groups: torch.optim.AdamW(groups, lr=lr), scheduler)


def _trainer(**kwargs):
    return pl.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, use_distributed_sampler=False, **kwargs)


def test_unknown_model_name_asks_for_a_local_directory():
    with pytest.raises(ConfigError, match="local Hugging Face model directory"):
        resolve_model_dir("bert-base-uncased")


def test_module_starts_in_train_mode_and_learns(tokenizer):
    pl.seed_everything(0)
    prepared = _prepared()
    module = _module(tokenizer, prepared)
    assert module.model.training
    datamodule = TextDataModule(prepared, module.task, tokenizer, batch_size=16, eval_batch_size=32, max_length=16, seed=0)
    trainer = _trainer(max_epochs=4)
    trainer.fit(module, datamodule=datamodule)
    metrics = trainer.test(module, datamodule=datamodule, verbose=False)[0]
    assert metrics["test/acc"] > 0.9  # the two classes differ by their words
    assert len(module.test_predictions) == len(prepared.splits["test"])


def test_scheduler_steps_once_per_optimizer_step(tokenizer):
    prepared = _prepared(n=40)  # 64 training examples -> 8 batches of 8
    module = _module(tokenizer, prepared)
    datamodule = TextDataModule(prepared, module.task, tokenizer, batch_size=8, eval_batch_size=32, max_length=16, seed=0)
    trainer = _trainer(max_epochs=1, accumulate_grad_batches=4, limit_val_batches=0)
    trainer.fit(module, datamodule=datamodule)
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    assert trainer.global_step == 2
    assert scheduler.last_epoch == 2
