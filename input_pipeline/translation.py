"""Translation data: pairs (input_pipeline/pairs.py) -> train / validation / test arrays of token ids.

Options (`data.translation`): pairs_file ("" = the embedded Tatoeba archive) split by `seed` into `validation`
and `test` source sentences, or train_file / validation_file / test_file given separately; direction ("zh-en" or
"en-zh"); source_tokenizer / target_tokenizer ("subword" or "character", see `tokenizers`) with their
vocabulary sizes; max_length (tokens, EOS included; longer training pairs are dropped, longer evaluation
sources are cut); pack (training rows hold several pairs each, see `packing`; Transformer only).

Arrays per split: source (N, max_length) ids + EOS, target_inputs (N, max_length) = BOS y_1 ... y_n, targets
(N, max_length) = y_1 ... y_n EOS, all padded with 0 (PAD). The tokenizers are trained on the training split only
and stored under `<workdir>/tokenizers/`, where a resumed run and the translate entry point find them.
"""

import dataclasses
import os
from collections.abc import Mapping

import numpy as np

from input_pipeline import packing, tokenizers
from input_pipeline import pairs as pairs_lib

DIRECTIONS = ("zh-en", "en-zh")
TRANSLATION_FIELDS = {
    "pairs_file": "", "train_file": "", "validation_file": "", "test_file": "", "direction": "zh-en",
    "source_tokenizer": "subword", "target_tokenizer": "subword", "source_vocab_size": 8000,
    "target_vocab_size": 8000, "max_length": 48, "seed": 0, "validation": 1000, "test": 1000, "pack": False,
}


@dataclasses.dataclass
class TranslationData:
    splits: dict[str, dict[str, np.ndarray]]  # train / validation / test arrays
    texts: dict[str, list[tuple[str, str]]]  # (source text, reference text) per split, in the arrays' order
    source_tokenizer: object
    target_tokenizer: object
    source_language: str
    target_language: str


def options(config: Mapping) -> dict:
    unknown = sorted(set(config) - set(TRANSLATION_FIELDS))
    if unknown:
        raise ValueError(f"Unknown data.translation field(s) {unknown}; known: {sorted(TRANSLATION_FIELDS)}.")
    fields = {**TRANSLATION_FIELDS, **dict(config)}
    if fields["direction"] not in DIRECTIONS:
        raise ValueError(f"Unknown direction {fields['direction']!r}; choose one of {list(DIRECTIONS)}.")
    return fields


def _read_splits(fields: dict) -> dict[str, list[tuple[str, str]]]:
    separate = [fields[f"{s}_file"] for s in ("train", "validation", "test")]
    if any(separate):
        if not all(separate) or fields["pairs_file"]:
            raise ValueError("Give either pairs_file, or all of train_file, validation_file and test_file.")
        return {s: pairs_lib.read_pairs(fields[f"{s}_file"]) for s in ("train", "validation", "test")}
    return pairs_lib.split_pairs(pairs_lib.read_pairs(fields["pairs_file"]), fields["seed"], fields["validation"],
                                 fields["test"])


def encode(tokenizer, texts: list[str], max_length: int, prefix: list[int], suffix: list[int]) -> np.ndarray:
    """(N, max_length) ids, each `prefix + ids + suffix`, cut to max_length and padded with PAD."""
    out = np.full((len(texts), max_length), tokenizers.PAD, np.int32)
    for row, text in enumerate(texts):
        ids = (prefix + tokenizer.encode(text) + suffix)[:max_length]
        out[row, :len(ids)] = ids
    return out


def load(config: Mapping, workdir: str) -> TranslationData:
    fields = options(config)
    by_split = _read_splits(fields)
    source_index = 1 if fields["direction"] == "zh-en" else 0  # pairs are (english, chinese)
    oriented = {s: [(p[source_index], p[1 - source_index]) for p in split] for s, split in by_split.items()}
    source_lang, target_lang = fields["direction"].split("-")
    directory = os.path.join(workdir, "tokenizers")
    source_tokenizer = tokenizers.load_or_train(directory, f"{source_lang}_{fields['source_tokenizer']}",
                                                fields["source_tokenizer"], [s for s, _ in oriented["train"]],
                                                fields["source_vocab_size"])
    target_tokenizer = tokenizers.load_or_train(directory, f"{target_lang}_{fields['target_tokenizer']}",
                                                fields["target_tokenizer"], [t for _, t in oriented["train"]],
                                                fields["target_vocab_size"])
    length = fields["max_length"]
    splits, texts = {}, {}
    for name, split in oriented.items():
        if name == "train":  # a pair cut short would teach a wrong translation
            fitting = [(s, t) for s, t in split if len(source_tokenizer.encode(s)) < length
                       and len(target_tokenizer.encode(t)) < length]
            if not fitting:
                raise ValueError(f"None of the {len(split)} training pairs fits in max_length={length} tokens "
                                 "(with its end token); raise data.translation.max_length or use a subword "
                                 "tokenizer.")
            split = fitting
        sources, targets = [s for s, _ in split], [t for _, t in split]
        splits[name] = {
            "source": encode(source_tokenizer, sources, length, [], [tokenizers.EOS]),
            "target_inputs": encode(target_tokenizer, targets, length, [tokenizers.BOS], []),
            "targets": encode(target_tokenizer, targets, length, [], [tokenizers.EOS]),
        }
        if name == "train" and fields["pack"]:
            splits[name] = packing.pack(splits[name], length)
        texts[name] = split
    return TranslationData(splits, texts, source_tokenizer, target_tokenizer, source_lang, target_lang)
