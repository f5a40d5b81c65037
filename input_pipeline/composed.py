"""Datasets composed from another dataset's images, generated once on the host from a seed.

zip_codes: whole five-digit zip codes, the task LeCun et al. (1989) cut into single digits by hand, read whole as
  Shi, Bai & Yao (2015) read words. Each code places `code_length` USPS digits side by side on a 32 x 128 canvas,
  each scaled to a random height in [16, 22] pixels, shifted vertically at random, with a random gap of -1 to 4
  pixels between neighbours (touching or slightly overlapping digits included) and a random left margin. No
  segmentation is given: the labels are the digit sequence alone. Training codes use only USPS training digits,
  test codes only USPS test digits. Splits: {"image" (N, 32, 128, 1) in [0, 1], "labels" (N, L) digits 0-9,
  "label_paddings" (N, L) zeros}.
spelled_digits: the one-to-many example. Each USPS digit with the letters of its English name ("seven") and an
  end mark: {"inputs" (N, 256) pixels, "targets" (N, 6) letter ids, "weights" (N, 6)}.
"""

import dataclasses
from collections.abc import Callable, Mapping

import jax
import numpy as np

from input_pipeline import sources

CANVAS_HEIGHT, CANVAS_WIDTH = 32, 128
DIGIT_HEIGHTS = tuple(range(16, 23))
GAPS = (-1, 4)
ZIP_FIELDS = {"code_length": 5, "num_train": 50_000, "num_test": 5_000, "seed": 0}


def _usps(directory: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return sources.load_raw("usps", "files", directory)


def _check(options: Mapping, defaults: Mapping, name: str) -> dict:
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"Unknown data.generator field(s) {unknown} for {name!r}; known: {sorted(defaults)}.")
    return {**defaults, **dict(options)}


def compose_codes(images: np.ndarray, labels: np.ndarray, num: int, code_length: int,
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    """`num` codes of `code_length` digits drawn uniformly from `images` (M, 16, 16) in [0, 1]."""
    max_width = code_length * DIGIT_HEIGHTS[-1] + (code_length - 1) * GAPS[1]
    if max_width > CANVAS_WIDTH:
        raise ValueError(f"code_length={code_length} does not fit the {CANVAS_WIDTH}-pixel canvas (at most 5).")
    # Each digit at every height, resized once (antialiased bilinear), so composing is only indexing.
    scaled = {h: np.asarray(jax.image.resize(images, (len(images), h, h), "linear")) for h in DIGIT_HEIGHTS}
    canvas = np.zeros((num, CANVAS_HEIGHT, CANVAS_WIDTH), np.float32)
    picks = rng.integers(0, len(images), (num, code_length))
    heights = rng.choice(DIGIT_HEIGHTS, (num, code_length))
    gaps = rng.integers(GAPS[0], GAPS[1] + 1, (num, code_length - 1))
    for n in range(num):
        width = heights[n].sum() + gaps[n].sum()
        left = rng.integers(0, CANVAS_WIDTH - width + 1)
        for position in range(code_length):
            size = heights[n, position]
            top = rng.integers(0, CANVAS_HEIGHT - size + 1)
            window = canvas[n, top:top + size, left:left + size]
            np.maximum(window, scaled[size][picks[n, position]], out=window)  # ink on ink where digits touch
            left += size + (gaps[n, position] if position < code_length - 1 else 0)
    return {
        "image": np.clip(canvas, 0.0, 1.0)[..., None],
        "labels": labels[picks].astype(np.int32),
        "label_paddings": np.zeros((num, code_length), np.float32),
    }


def zip_codes(directory: str, options: Mapping) -> dict[str, dict[str, np.ndarray]]:
    fields = _check(options, ZIP_FIELDS, "zip_codes")
    usps = _usps(directory)
    return {
        split: compose_codes(*usps[split], fields[f"num_{split}"], fields["code_length"],
                             np.random.default_rng([fields["seed"], stream]))
        for stream, split in enumerate(("train", "test"))
    }


DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
END = "."
LETTERS = END + "".join(sorted(set("".join(DIGIT_NAMES))))  # id 0 is the end mark
SPELLING_LENGTH = max(len(n) for n in DIGIT_NAMES) + 1


def spell(digit: int) -> list[int]:
    return [LETTERS.index(c) for c in DIGIT_NAMES[digit] + END]


def spelled_digits(directory: str, options: Mapping) -> dict[str, dict[str, np.ndarray]]:
    _check(options, {}, "spelled_digits")
    table = np.zeros((10, SPELLING_LENGTH), np.int32)
    weights = np.zeros((10, SPELLING_LENGTH), np.float32)
    for digit in range(10):
        letters = spell(digit)
        table[digit, :len(letters)] = letters
        weights[digit, :len(letters)] = 1.0
    return {
        split: {"inputs": images.reshape(len(images), -1), "targets": table[labels], "weights": weights[labels]}
        for split, (images, labels) in _usps(directory).items()
    }


@dataclasses.dataclass(frozen=True)
class ComposedDataset:
    make: Callable[[str, Mapping], dict[str, dict[str, np.ndarray]]]
    num_classes: int


DATASETS = {
    "zip_codes": ComposedDataset(zip_codes, num_classes=10),
    "spelled_digits": ComposedDataset(spelled_digits, num_classes=len(LETTERS)),
}
