"""Classify by embedding similarity: mean-pooled, L2-normalised encoder outputs against one vector per label."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

LABEL_VECTORS_FILE = "label_vectors.safetensors"
SIMILARITY_CONFIG_FILE = "similarity_classifier.json"


def mean_pool(last_hidden_state: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors of each sequence over its attention mask (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    summed = (last_hidden_state * mask).sum(dim=1)
    return summed / mask.sum(dim=1).clamp(min=1e-9)


class SimilarityClassifier(nn.Module):
    """An encoder whose logits are cosine similarities to the label vectors, divided by `temperature`.

    The label vectors are set later with `set_label_vectors` (from label prompts or labelled
    examples); until then `forward` raises. The encoder is frozen: nothing here is trained.
    """

    def __init__(self, encoder: nn.Module, temperature: float = 0.05) -> None:
        super().__init__()
        self.encoder = encoder
        self.temperature = temperature
        self.register_buffer("label_vectors", None)
        self.label_sources: dict[str, object] = {}
        for parameter in self.encoder.parameters():
            parameter.requires_grad_(False)

    @property
    def has_label_vectors(self) -> bool:
        return self.label_vectors is not None

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Return one L2-normalised, mean-pooled vector per sequence."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return nn.functional.normalize(mean_pool(hidden, attention_mask), dim=-1)

    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str], tokenizer, max_length: int, batch_size: int) -> torch.Tensor:
        """Embed raw texts in eval mode, in batches of `batch_size`; returns a (len(texts), hidden) tensor."""
        was_training = self.training
        self.eval()
        device = next(self.encoder.parameters()).device
        vectors = []
        for start in range(0, len(texts), batch_size):
            encoded = tokenizer(
                list(texts[start : start + batch_size]),
                truncation=True,
                max_length=max_length,
                padding=True,
                return_tensors="pt",
                return_token_type_ids=False,
            )
            vectors.append(self.embed(encoded["input_ids"].to(device), encoded["attention_mask"].to(device)))
        self.train(was_training)
        return torch.cat(vectors)

    def set_label_vectors(self, vectors: torch.Tensor, sources: dict[str, object]) -> None:
        """Store one vector per label id (rows in id order), normalised, and what each was built from."""
        self.label_vectors = nn.functional.normalize(vectors.detach().clone(), dim=-1)
        self.label_sources = dict(sources)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor | None = None, **_):
        if self.label_vectors is None:
            raise RuntimeError("SimilarityClassifier has no label vectors; call set_label_vectors first")
        logits = self.embed(input_ids, attention_mask) @ self.label_vectors.T / self.temperature
        loss = None
        if labels is not None:
            loss = nn.functional.cross_entropy(logits, labels, ignore_index=-100)
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def save_pretrained(self, directory: str | Path) -> None:
        """Write the encoder as a Hugging Face model directory, plus the label vectors and how they were built."""
        from safetensors.torch import save_file

        directory = Path(directory)
        self.encoder.save_pretrained(directory)
        save_file({"label_vectors": self.label_vectors.detach().cpu().contiguous()}, directory / LABEL_VECTORS_FILE)
        config = {
            "pooling": "mean",
            "normalize": True,
            "temperature": self.temperature,
            "id2label": {str(i): label for i, label in self.encoder.config.id2label.items()},
            "label_sources": self.label_sources,
        }
        (directory / SIMILARITY_CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
