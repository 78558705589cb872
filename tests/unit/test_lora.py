"""LoRA on sequence and token classification models: target checks, the trained head, save and merge."""

import pytest
import torch
from transformers import AutoModelForTokenClassification, BertConfig, BertForSequenceClassification

from transferlab.errors import ConfigError
from transferlab.methods.lora import LoRA, head_module_names
from transferlab.models.backbone import count_parameters

INPUTS = {"input_ids": torch.tensor([[1, 5, 7, 9, 2], [1, 8, 2, 0, 0]]),
          "attention_mask": torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])}


def _config(num_labels):
    return BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=32, max_position_embeddings=32, num_labels=num_labels)


def _perturb_adapters(model):
    """Give the adapters non-zero updates, as training would (LoRA's B matrices start at zero)."""
    torch.manual_seed(1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.requires_grad:
                parameter.add_(torch.randn_like(parameter) * 0.1)


def test_unknown_target_lists_linear_layers():
    model = BertForSequenceClassification(_config(2))
    with pytest.raises(ConfigError) as error:
        LoRA(target_modules=["query", "qkv_proj"]).prepare_model(model, task=None)
    message = str(error.value)
    assert "['qkv_proj']" in message
    assert "bert.encoder.layer.*.attention.self.query" in message
    assert "bert.encoder.layer.*.intermediate.dense" in message
    assert "classifier" not in message.split("layers")[-1]  # the head is trained in full, never adapted


def test_target_matching_only_the_head_is_rejected():
    with pytest.raises(ConfigError, match="classifier"):
        LoRA(target_modules=["classifier"]).prepare_model(BertForSequenceClassification(_config(2)), task=None)


@pytest.mark.parametrize("options, message", [
    ({"rank": 0}, "rank"), ({"dropout": 1.0}, "dropout"), ({"target_modules": "query"}, "target_modules"),
    ({"bias": "some"}, "bias"), ({"alpha": 0}, "alpha"),
])
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ConfigError, match=message):
        LoRA(**options)


def test_head_is_trained_and_encoder_frozen():
    model = LoRA(rank=4, target_modules=["query", "value"]).prepare_model(BertForSequenceClassification(_config(3)), task=None)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert any("classifier" in name and "modules_to_save" in name for name in trainable)
    assert any("lora_A" in name and "query" in name for name in trainable)
    assert not any("word_embeddings" in name or "key" in name for name in trainable)
    trained, total = count_parameters(model)
    assert 0 < trained < total * 0.2


@pytest.mark.parametrize("auto_class", [BertForSequenceClassification, AutoModelForTokenClassification])
def test_adapter_reload_and_merge_give_same_logits(auto_class, tmp_path):
    from peft import PeftModel

    torch.manual_seed(0)
    base = auto_class.from_config(_config(4)) if auto_class is AutoModelForTokenClassification else auto_class(_config(4))
    assert head_module_names(base) == ["classifier"]
    base.save_pretrained(tmp_path / "base")

    model = LoRA(rank=4, target_modules=["query", "value", "dense"]).prepare_model(base, task=None)
    _perturb_adapters(model)
    model.eval()
    with torch.no_grad():
        logits = model(**INPUTS).logits
    model.save_pretrained(tmp_path / "adapter")

    fresh_base = type(base).from_pretrained(tmp_path / "base")
    reloaded = PeftModel.from_pretrained(fresh_base, tmp_path / "adapter").eval()
    merged = reloaded.merge_and_unload()
    merged.save_pretrained(tmp_path / "merged")
    plain = type(base).from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        assert torch.allclose(reloaded(**INPUTS).logits, logits, atol=1e-5)
        assert torch.allclose(plain(**INPUTS).logits, logits, atol=1e-5)
        assert not torch.allclose(type(base).from_pretrained(tmp_path / "base")(**INPUTS).logits, logits, atol=1e-3)
    assert not any("lora" in name for name, _ in plain.named_parameters())
