"""An on-disk cache of encoded splits, so a second run with the same inputs skips tokenization.

An entry's key is a SHA-256 over everything that decides the encoded features. The split's examples
enter it in order with their text and label, which covers the data files' content, the split seed
and fractions, the caps and the empty-text policy. The label map, `max_length`, the task and its
options, and the tokenizer (its full serialized state, class, special tokens and sides) enter it
too. Any change gives a new key, so a stale entry is never read. Entries are `.npz` files loaded
without pickle and written through a temporary file and a rename. An unreadable entry is rebuilt
with a warning.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from transferlab.data.examples import Example
from transferlab.log import get_logger

log = get_logger(__name__)

# Bump when the entry layout or the meaning of a feature changes, so old entries are ignored.
CACHE_FORMAT = 1
_NONE = np.iinfo(np.int64).min  # stands for None inside integer lists (e.g. word_ids of special tokens)


def tokenizer_fingerprint(tokenizer) -> dict[str, Any]:
    """Return the tokenizer state that decides its output: vocabulary, normalizer, pre-tokenizer, sides.

    The backend's truncation and padding sections are left out: they change with each call's
    arguments, and `max_length` is part of the key by itself.
    """
    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    backend.pop("truncation", None)
    backend.pop("padding", None)
    # to_str() writes keys and the vocabulary in a fixed order, so the dump is stable without
    # sort_keys, which would take about ten times longer on a 30,000-entry vocabulary.
    state = json.dumps(backend)
    return {
        "class": f"{type(tokenizer).__module__}.{type(tokenizer).__qualname__}",
        "backend_sha256": hashlib.sha256(state.encode("utf-8")).hexdigest(),
        "special_tokens": {name: str(value) for name, value in sorted(tokenizer.special_tokens_map.items())},
        "vocabulary_size": len(tokenizer),
        "truncation_side": getattr(tokenizer, "truncation_side", None),
        "padding_side": getattr(tokenizer, "padding_side", None),
    }


def task_fingerprint(task) -> dict[str, Any]:
    """Return the task's class and its public attributes (the options it was built with)."""
    options = {name: value for name, value in sorted(vars(task).items()) if not name.startswith("_")}
    # NOTE: options that are not JSON values enter the key through repr(). An object whose repr
    # hides part of its state could let an entry outlive a change of that state.
    return {"class": f"{type(task).__module__}.{type(task).__qualname__}", "options": options}


def _example_record(example: Example) -> list:
    text = example.text if isinstance(example.text, str) else list(example.text)
    label = example.label if example.label is None or isinstance(example.label, str) else list(example.label)
    return [text, label]


def entry_key(examples: Sequence[Example], settings: dict[str, Any]) -> str:
    """Return the SHA-256 key of one split's encoding: its examples plus every encoding setting."""
    header = {"format": CACHE_FORMAT, "settings": settings}
    digest = hashlib.sha256(json.dumps(header, sort_keys=True, default=repr).encode("utf-8"))
    digest.update(json.dumps([_example_record(example) for example in examples]).encode("utf-8"))
    return digest.hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _encode_column(values: list) -> tuple[str, dict[str, np.ndarray]]:
    """Return (kind, arrays) for one feature field: flat int64 arrays where possible, else JSON."""
    if all(_is_int(v) for v in values):
        return "int", {"values": np.asarray(values, dtype=np.int64)}
    if all(isinstance(v, list) and all(x is None or _is_int(x) for x in v) for v in values):
        lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
        flat = np.fromiter((_NONE if x is None else x for v in values for x in v), dtype=np.int64, count=int(lengths.sum()))
        return "int_lists", {"values": flat, "offsets": np.concatenate(([0], np.cumsum(lengths)))}
    text = json.dumps(values, ensure_ascii=False)
    return "json", {"values": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}


def _decode_column(kind: str, arrays: dict[str, np.ndarray]) -> list:
    if kind == "int":
        return arrays["values"].tolist()
    if kind == "int_lists":
        flat, offsets = arrays["values"], arrays["offsets"].tolist()
        has_none = bool((flat == _NONE).any())
        rows = flat.tolist()
        lists = [rows[start:end] for start, end in zip(offsets[:-1], offsets[1:])]
        if has_none:
            lists = [[None if x == _NONE else x for x in row] for row in lists]
        return lists
    if kind == "json":
        return json.loads(arrays["values"].tobytes().decode("utf-8"))
    raise ValueError(f"unknown column kind {kind!r}")


def _serialize(features: list[dict[str, Any]], key: str) -> bytes:
    names = list(features[0]) if features else []
    arrays: dict[str, np.ndarray] = {}
    kinds = {}
    for index, name in enumerate(names):
        kind, parts = _encode_column([feature[name] for feature in features])
        kinds[name] = kind
        for part, array in parts.items():
            arrays[f"{index}.{part}"] = array
    meta = {"format": CACHE_FORMAT, "key": key, "count": len(features), "fields": names, "kinds": kinds}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _deserialize(path: Path, key: str) -> list[dict[str, Any]]:
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(archive["meta"].tobytes().decode("utf-8"))
        if meta.get("format") != CACHE_FORMAT or meta.get("key") != key:
            raise ValueError("the entry's format or key does not match its file name")
        columns = {}
        for index, name in enumerate(meta["fields"]):
            prefix = f"{index}."
            parts = {f[len(prefix):]: archive[f] for f in archive.files if f.startswith(prefix)}
            columns[name] = _decode_column(meta["kinds"][name], parts)
    count = meta["count"]
    if any(len(column) != count for column in columns.values()):
        raise ValueError(f"a field does not have the entry's {count} rows")
    return [{name: column[row] for name, column in columns.items()} for row in range(count)]


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class EncodingCache:
    """Encoded features of one split per entry, in `<root>/encoded/<key>.npz`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def path(self, key: str) -> Path:
        return self.root / "encoded" / f"{key}.npz"

    def load(self, key: str) -> list[dict[str, Any]] | None:
        """Return the cached features for `key`, or None when there is no readable entry."""
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            return _deserialize(path, key)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as error:
            log.warning("Tokenization cache entry %s is unreadable (%s); encoding the split again", path, error)
            return None

    def store(self, key: str, features: list[dict[str, Any]]) -> Path:
        """Write the features for `key` atomically and return the entry's path."""
        path = self.path(key)
        _write_bytes_atomic(path, _serialize(features, key))
        return path
