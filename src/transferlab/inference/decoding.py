"""Turn a model's logits into prediction records: a label with probabilities, or tags and entity spans."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from transferlab.data.examples import Example

OUTSIDE = "O"


def encode_texts(texts: Sequence[str], tokenizer, max_length: int) -> list[dict]:
    """Tokenize whole texts for sequence classification (no padding)."""
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length, return_attention_mask=False,
                        return_token_type_ids=False)
    return [{"input_ids": ids} for ids in encoded["input_ids"]]


def encode_words(word_lists: Sequence[Sequence[str]], tokenizer, max_length: int) -> list[dict]:
    """Tokenize pre-split words for token classification, keeping each token's word index (None for special tokens)."""
    encoded = tokenizer([list(words) for words in word_lists], is_split_into_words=True, truncation=True,
                        max_length=max_length, return_attention_mask=False, return_token_type_ids=False)
    return [
        {"input_ids": ids, "word_ids": encoded.word_ids(row)}
        for row, ids in enumerate(encoded["input_ids"])
    ]


def sequence_record(example: Example, logits: torch.Tensor, id2label: dict[int, str]) -> dict:
    """Return the predicted label, its probability and the probability of every label for one text."""
    probabilities = torch.softmax(logits.float(), dim=-1)
    best = int(probabilities.argmax())
    return {
        "origin": example.origin,
        "text": example.text,
        "label": id2label[best],
        "score": round(float(probabilities[best]), 6),
        "probabilities": {id2label[i]: round(float(p), 6) for i, p in enumerate(probabilities.tolist())},
    }


def word_probabilities(logits: torch.Tensor, word_ids: Sequence[int | None]) -> dict[int, torch.Tensor]:
    """Return the label probabilities of each word, taken at its first sub-token."""
    probabilities = torch.softmax(logits.float(), dim=-1)
    first_token: dict[int, torch.Tensor] = {}
    for position, word in enumerate(word_ids):
        if word is not None and word not in first_token:
            first_token[word] = probabilities[position]
    return first_token


def entity_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Return (type, start, end) word spans, end exclusive, of IOB2 tags.

    An `I-` tag that does not continue an entity of its type starts a new one, as in seqeval's
    default (non-strict) mode; a tag without a B-/I- prefix other than `O` is one whole-word entity.
    """
    spans: list[tuple[str, int, int]] = []
    current: list | None = None
    for index, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-") if "-" in tag else ("", "", tag)
        if tag == OUTSIDE:
            current = None
            continue
        continues = prefix == "I" and current is not None and current[0] == kind
        if continues:
            current[2] = index + 1
            continue
        current = [kind, index, index + 1]
        spans.append(current)  # extended in place while it continues
    return [tuple(span) for span in spans]


def token_record(example: Example, logits: torch.Tensor, word_ids: Sequence[int | None],
                 id2label: dict[int, str]) -> dict:
    """Return one tag per word with its probability, the entity spans with mean tag scores, and truncation info.

    Words cut off by max_length get the tag `O` with score null and are counted in `truncated_words`.
    """
    words = list(example.text)
    by_word = word_probabilities(logits, word_ids)
    tags, scores = [], []
    for index in range(len(words)):
        if index not in by_word:
            tags.append(OUTSIDE)
            scores.append(None)
            continue
        best = int(by_word[index].argmax())
        tags.append(id2label[best])
        scores.append(round(float(by_word[index][best]), 6))

    entities = []
    for kind, start, end in entity_spans(tags):
        span_scores = [s for s in scores[start:end] if s is not None]
        entities.append({
            "type": kind,
            "start": start,
            "end": end,
            "text": " ".join(words[start:end]),
            "score": round(sum(span_scores) / len(span_scores), 6),
        })
    return {
        "origin": example.origin,
        "words": words,
        "tags": tags,
        "scores": scores,
        "entities": entities,
        "truncated_words": len(words) - len(by_word),
    }
