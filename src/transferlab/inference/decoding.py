"""Turn a model's logits into prediction records: a label with probabilities, or tags and entity spans."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from transferlab.data.examples import Example

OUTSIDE = "O"


def sequence_record(example: Example, logits: torch.Tensor, id2label: Mapping[int, str]) -> dict:
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


def entity_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Return (type, start, end) word spans, end exclusive, of IOB2 or IOBES tags.

    An `I-` or `E-` tag that does not continue an entity of its type starts a new one, as in
    seqeval's default (non-strict) mode. `E-` and `S-` end their entity. A tag other than `O`
    without a prefix is a one-word entity.
    """
    spans: list[list] = []
    current: list | None = None
    for index, tag in enumerate(tags):
        if tag == OUTSIDE:
            current = None
            continue
        prefix, _, kind = tag.partition("-") if "-" in tag else ("", "", tag)
        if prefix in ("I", "E") and current is not None and current[0] == kind:
            current[2] = index + 1
        else:
            current = [kind, index, index + 1]
            spans.append(current)  # extended in place while the entity continues
        if prefix in ("E", "S"):
            current = None
    return [tuple(span) for span in spans]


def token_record(example: Example, word_probabilities: Mapping[int, torch.Tensor], id2label: Mapping[int, str]) -> dict:
    """Return one tag per word with its probability, and the entity spans with their mean tag probability.

    `word_probabilities` maps each word index to the label probabilities at its first sub-token.
    """
    words = list(example.text)
    tags, scores = [], []
    for index in range(len(words)):
        probabilities = word_probabilities[index]
        best = int(probabilities.argmax())
        tags.append(id2label[best])
        scores.append(round(float(probabilities[best]), 6))

    entities = []
    for kind, start, end in entity_spans(tags):
        entities.append({
            "type": kind,
            "start": start,
            "end": end,
            "text": " ".join(words[start:end]),
            "score": round(sum(scores[start:end]) / (end - start), 6),
        })
    return {"origin": example.origin, "words": words, "tags": tags, "scores": scores, "entities": entities}
