"""CoNLL column files: one token per line, tags in a column, a blank line between sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from transferlab.data.examples import Example, SplitExamples
from transferlab.data.tags import TAG_PATTERN, check_scheme, iob1_to_iob2
from transferlab.errors import ConfigError, DataError

DOCSTART = "-DOCSTART-"

_FIELD_SEPARATOR = re.compile(r"[ \t]+")


def _split_fields(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return _FIELD_SEPARATOR.split(line.strip(" \t"))
    return line.rstrip(" \t").split(delimiter)


def _check_tag(tag: str, scheme: str, path: Path, line: int) -> None:
    match = TAG_PATTERN.match(tag)
    if match is None:
        raise DataError(
            f"{path}:{line}: malformed tag {tag!r}; a tag is O or B-, I-, E-, S- followed by an entity type; "
            "check data.source.tag_column"
        )
    prefix = match.group(1)
    if prefix in ("E", "S") and scheme != "IOBES":
        raise DataError(f"{path}:{line}: tag {tag!r} is not part of the {scheme} scheme; set data.source.scheme=IOBES")


def _read_lines(path: Path) -> Iterator[tuple[int, str]]:
    # Lines are decoded one by one so that an encoding error names its own line.
    with path.open("rb") as handle:
        for line_number, raw in enumerate(handle, start=1):
            if line_number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte order mark some editors write
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataError(f"{path}:{line_number}: not valid UTF-8 (byte {error.start + 1} of the line); save the file as UTF-8") from None
            yield line_number, line.rstrip("\r\n")


def read_conll(
    path: str | Path,
    token_column: int = 0,
    tag_column: int = -1,
    scheme: str = "IOB2",
    delimiter: str | None = None,
) -> list[Example]:
    """Read a CoNLL column file into one example per sentence, with tags in IOB2 (or IOBES).

    Fields are separated by runs of spaces and tabs, or by `delimiter` when it is set. Every token
    line must have as many fields as the first one. `-DOCSTART-` lines end the current sentence and
    are skipped. Each example's origin is the file and the line of its first token.
    """
    path = Path(path).expanduser().resolve()
    scheme = check_scheme(scheme)
    if not path.is_file():
        raise DataError(f"CoNLL file not found: {path}")

    examples: list[Example] = []
    words: list[str] = []
    tags: list[str] = []
    first_line = 0
    width: tuple[int, int] | None = None  # (number of fields, line that set it)

    def close_sentence() -> None:
        if words:
            final_tags = iob1_to_iob2(tags) if scheme == "IOB1" else list(tags)
            examples.append(Example(tuple(words), tuple(final_tags), f"{path}:{first_line}"))
        words.clear()
        tags.clear()

    for line_number, line in _read_lines(path):
        if not line.strip():
            close_sentence()
            continue
        fields = _split_fields(line, delimiter)
        if fields[0] == DOCSTART:
            close_sentence()
            continue

        if width is None:
            width = (len(fields), line_number)
            for key, column in (("token_column", token_column), ("tag_column", tag_column)):
                if not -len(fields) <= column < len(fields):
                    raise DataError(
                        f"{path}:{line_number}: data.source.{key}={column} is out of range for a line with "
                        f"{len(fields)} columns; set it to a column index from 0 to {len(fields) - 1}"
                    )
        elif len(fields) != width[0]:
            raise DataError(
                f"{path}:{line_number}: expected {width[0]} columns as on line {width[1]}, found {len(fields)}; "
                "every token line needs the same columns"
            )

        tag = fields[tag_column]
        _check_tag(tag, scheme, path, line_number)
        if not words:
            first_line = line_number
        words.append(fields[token_column])
        tags.append(tag)
    close_sentence()

    if not examples:
        raise DataError(f"no sentences in {path}; a CoNLL file has one token per line and blank lines between sentences")
    return examples


class ConllSource:
    """Train, validation and test sentences from the user's CoNLL files.

    The CoNLL-2003 layout (token, POS, chunk, NER tag) works with the defaults: the token is the
    first column and the tag the last. With only `train_file`, sentences are split by fraction.
    """

    def __init__(
        self,
        train_file: str,
        validation_file: str | None = None,
        test_file: str | None = None,
        token_column: int = 0,
        tag_column: int = -1,
        scheme: str = "IOB2",
        delimiter: str | None = None,
    ) -> None:
        self.files = {"train": train_file, "validation": validation_file, "test": test_file}
        self.token_column = token_column
        self.tag_column = tag_column
        self.scheme = check_scheme(scheme)
        if delimiter is not None and len(delimiter) != 1:
            raise ConfigError(f"data.source.delimiter must be null (spaces or tabs) or one character, got {delimiter!r}")
        self.delimiter = delimiter

    def data_files(self) -> list[Path]:
        return [Path(f).expanduser().resolve() for f in self.files.values() if f]

    def _read(self, path: str) -> list[Example]:
        return read_conll(path, self.token_column, self.tag_column, self.scheme, self.delimiter)

    def load(self) -> SplitExamples:
        named = {split: f for split, f in self.files.items() if f}
        if set(named) == {"train"}:
            return {"all": self._read(named["train"])}
        if "validation" not in named or "test" not in named:
            raise DataError(
                "give data.source.validation_file and data.source.test_file together, "
                "or neither (then train_file is split by data.split fractions)"
            )
        return {split: self._read(f) for split, f in named.items()}
