"""Sentence pairs for translation (english, chinese) from the files people have: the deck's spreadsheet (.xlsx
with `english` and `chinese` header columns), .tsv / .csv with the same header, and Tatoeba's own format (one pair a
line, `English<TAB>Chinese<TAB>attribution`, bare or in manythings.org's .zip). Bad input is an error naming the
file and line: a missing column, an empty cell, text that is not UTF-8, a file with no usable pairs.

The embedded default is the Tatoeba English-Chinese archive (input_pipeline/data/cmn-eng.zip, 32,028 pairs,
CC-BY 2.0 France; credit in input_pipeline/data/TATOEBA-CREDIT.md).
"""

import csv
import io
import os
import zipfile
import zlib
from importlib import resources

import numpy as np

COLUMNS = ("english", "chinese")
FORMATS = (".xlsx", ".tsv", ".csv", ".txt", ".zip")
EMBEDDED = "cmn-eng.zip"

Pair = tuple[str, str]


class PairsFileError(ValueError):
    """A pairs file that cannot be used; the message names the file and, where there is one, the line."""


def _decode(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise PairsFileError(
            f"{path}, line {line}: not UTF-8 text (byte {raw[e.start]:#04x} at offset {e.start}). Save the file as "
            f"UTF-8 (e.g. 'CSV UTF-8' in a spreadsheet program) and try again."
        ) from None


def _columns(header: list, path: str) -> tuple[int, int]:
    names = [str(h).strip().lower() if h is not None else "" for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise PairsFileError(
            f"{path}, line 1: no {' or '.join(repr(c) for c in missing)} column in the header; found {names}. "
            f"The first row must name the columns {list(COLUMNS)}."
        )
    return names.index("english"), names.index("chinese")


def _pair(row: list, columns: tuple[int, int], path: str, line: int) -> Pair:
    cells = []
    for name, index in zip(COLUMNS, columns, strict=True):
        value = row[index] if index < len(row) else None
        text = "" if value is None else str(value).strip()
        if not text:
            raise PairsFileError(f"{path}, line {line}: the {name!r} cell is empty.")
        cells.append(text)
    return cells[0], cells[1]


def _rows_with_header(rows, path: str) -> list[Pair]:
    rows = iter(rows)
    header = next(rows, None)
    if header is None:
        raise PairsFileError(f"{path}: the file is empty; it needs a header row {list(COLUMNS)} and pairs below.")
    columns = _columns(list(header), path)
    pairs = []
    for line, row in enumerate(rows, start=2):
        if not any(cell is not None and str(cell).strip() for cell in row):
            continue  # a blank row
        pairs.append(_pair(list(row), columns, path, line))
    return pairs


def _tatoeba_lines(text: str, path: str) -> list[Pair]:
    """English<TAB>Chinese[<TAB>attribution] per line; an `english<TAB>chinese` header line is allowed."""
    lines = text.splitlines()
    start = 0
    if lines and [c.strip().lower() for c in lines[0].split("\t")[:2]] == list(COLUMNS):
        columns, start = _columns(lines[0].split("\t"), path), 1
    else:
        columns = (0, 1)
    pairs = []
    for line, content in enumerate(lines[start:], start=start + 1):
        if not content.strip():
            continue
        row = content.split("\t")
        if len(row) < 2:
            raise PairsFileError(f"{path}, line {line}: expected english<TAB>chinese, found no tab.")
        pairs.append(_pair(row, columns, path, line))
    return pairs


def _read_xlsx(path: str) -> list[Pair]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several types for a file that is not a workbook
        raise PairsFileError(f"{path}: not a readable .xlsx workbook ({type(e).__name__}: {e}).") from None
    try:
        return _rows_with_header(workbook.active.iter_rows(values_only=True), path)
    finally:
        workbook.close()


def _read_zip(path: str, handle=None) -> list[Pair]:
    try:
        with zipfile.ZipFile(handle or path) as archive:
            texts = [n for n in archive.namelist() if n.endswith(".txt") and not os.path.basename(n).startswith("_")]
            if len(texts) != 1:
                raise PairsFileError(f"{path}: expected one Tatoeba .txt file in the archive, found {texts}.")
            text = archive.read(texts[0])
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # truncated or corrupt
        raise PairsFileError(f"{path}: not a readable .zip archive ({type(e).__name__}: {e}).") from None
    return _tatoeba_lines(_decode(text, f"{path}:{texts[0]}"), f"{path}:{texts[0]}")


def read_pairs(path: str = "") -> list[Pair]:
    """[(english, chinese), ...] from `path` ("" = the embedded Tatoeba archive); see the module docstring."""
    if not path:
        with resources.files("input_pipeline").joinpath("data", EMBEDDED).open("rb") as f:
            return _read_zip(EMBEDDED, io.BytesIO(f.read()))
    if not os.path.exists(path):
        raise FileNotFoundError(f"Pairs file {path} does not exist.")
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        raise PairsFileError(f"{path}: unknown pairs file type {extension!r}; use one of {list(FORMATS)}.")
    if extension == ".xlsx":
        pairs = _read_xlsx(path)
    elif extension == ".zip":
        pairs = _read_zip(path)
    else:
        with open(path, "rb") as f:
            text = _decode(f.read(), path)
        if extension == ".csv":
            pairs = _rows_with_header(csv.reader(io.StringIO(text)), path)
        else:
            pairs = _tatoeba_lines(text, path)
    if not pairs:
        raise PairsFileError(f"{path}: no usable pairs (only a header or blank lines).")
    return pairs


def split_pairs(pairs: list[Pair], seed: int, validation: int, test: int) -> dict[str, list[Pair]]:
    """A deterministic split of one list by `seed`: {"train", "validation", "test"}. Pairs with the same English
    sentence go to the same split, so a test sentence is never seen in training with another translation."""
    sources = sorted({english for english, _ in pairs})
    order = np.random.default_rng(seed).permutation(len(sources))
    rank = {sources[i]: position for position, i in enumerate(order)}
    total = len(sources)
    if validation + test >= total:
        raise ValueError(f"validation={validation} + test={test} leave no training sentences ({total} distinct).")
    splits = {"test": [], "validation": [], "train": []}
    for pair in pairs:
        position = rank[pair[0]]
        name = "test" if position < test else "validation" if position < test + validation else "train"
        splits[name].append(pair)
    return splits
