"""Synthetic sequence problems, generated once on the host from a seed (the same seed gives the same data).

adding (Hochreiter & Schmidhuber 1997, section 5.4, experiment 4, in the two-channel form of Le et al. 2015):
  inputs (N, T, 2): channel 0 holds values uniform in [0, 1], channel 1 marks two positions, one in each half
  of the sequence; target (N,) is the sum of the two marked values. Predicting the mean sum, 1, scores the MSE of
  a triangular variable, Var(u1 + u2) = 1/6 = 0.167: the number a network that remembers nothing reaches.
copy (Hochreiter & Schmidhuber 1997, section 5.2, in the form of Arjovsky et al. 2016, section 4.1): inputs
  (N, T + 20) symbols: 10 symbols drawn from {1, ..., 8}, then T - 1 blanks (0), a delimiter (9), and 10 more
  blanks; targets are blanks except the last 10 steps, which must repeat the 10 symbols. Always answering blank,
  then guessing uniformly among the 8 symbols, scores a cross-entropy of 10 ln 8 / (T + 20) per step.
"""

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

COPY_SYMBOLS, COPY_BLANK, COPY_DELIMITER, COPY_LENGTH = 8, 0, 9, 10


def adding_problem(num: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if length < 2:
        raise ValueError(f"The adding problem needs sequence_length >= 2, got {length}.")
    values = rng.uniform(0.0, 1.0, (num, length)).astype(np.float32)
    half = length // 2
    first = rng.integers(0, half, num)
    second = rng.integers(half, length, num)
    markers = np.zeros((num, length), np.float32)
    markers[np.arange(num), first] = 1.0
    markers[np.arange(num), second] = 1.0
    target = values[np.arange(num), first] + values[np.arange(num), second]
    return {"inputs": np.stack([values, markers], axis=-1), "target": target.astype(np.float32)}


def copy_task(num: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if length < 1:
        raise ValueError(f"The copy task needs sequence_length >= 1, got {length}.")
    total = length + 2 * COPY_LENGTH
    symbols = rng.integers(1, COPY_SYMBOLS + 1, (num, COPY_LENGTH))
    inputs = np.full((num, total), COPY_BLANK, np.int32)
    inputs[:, :COPY_LENGTH] = symbols
    inputs[:, COPY_LENGTH + length - 1] = COPY_DELIMITER
    targets = np.full((num, total), COPY_BLANK, np.int32)
    targets[:, -COPY_LENGTH:] = symbols
    return {"inputs": inputs, "targets": targets, "weights": np.ones((num, total), np.float32)}


def copy_baseline(length: int) -> float:
    """The memoryless cross-entropy per step: 10 ln 8 / (T + 20)."""
    return COPY_LENGTH * np.log(COPY_SYMBOLS) / (length + 2 * COPY_LENGTH)


@dataclasses.dataclass(frozen=True)
class Generator:
    make: Callable[[int, int, np.random.Generator], dict[str, np.ndarray]]
    num_classes: int  # output symbols (0 for a regression target)


GENERATORS = {
    "adding": Generator(adding_problem, num_classes=0),
    "copy": Generator(copy_task, num_classes=COPY_SYMBOLS + 2),
}
GENERATOR_FIELDS = {"sequence_length": 200, "num_train": 100_000, "num_test": 10_000, "seed": 0}


def generate(name: str, options: Mapping) -> dict[str, dict[str, np.ndarray]]:
    """{"train": ..., "test": ...} of problem `name`; the test set comes from a separate stream of the same seed."""
    unknown = sorted(set(options) - set(GENERATOR_FIELDS))
    if unknown:
        raise ValueError(f"Unknown data.generator field(s) {unknown}; known: {sorted(GENERATOR_FIELDS)}.")
    fields = {**GENERATOR_FIELDS, **dict(options)}
    make = GENERATORS[name].make
    train_rng, test_rng = (np.random.default_rng([fields["seed"], stream]) for stream in (0, 1))
    return {
        "train": make(fields["num_train"], fields["sequence_length"], train_rng),
        "test": make(fields["num_test"], fields["sequence_length"], test_rng),
    }
