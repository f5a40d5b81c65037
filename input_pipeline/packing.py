"""Packing sentence pairs into fixed-length rows, as the flax WMT example (and T5) train Transformers.

Tatoeba's sentences are short (median 8 subwords) while a batch has one static length, so unpacked rows are
mostly padding. Packing puts consecutive pairs into one row while both sides fit, numbering them with segment ids
(1, 2, ...; 0 = padding) and restarting positions at 0 for each; the model's attention masks keep the sentences
apart, so nothing changes but the amount of padding computed.
"""

import numpy as np

PACKED_FIELDS = ("source_segments", "target_segments", "source_positions", "target_positions")


def _without_padding(row: np.ndarray) -> np.ndarray:
    return row[row != 0]


def pack(split: dict[str, np.ndarray], length: int) -> dict[str, np.ndarray]:
    """Rows of `length` tokens, each holding consecutive pairs of `split` (source, target_inputs, targets, padded
    with 0) while both the source and the target side fit; adds the segment and position arrays."""
    sources = [_without_padding(r) for r in split["source"]]
    # target_inputs (BOS y...) and targets (y... EOS) have the same length per pair.
    target_lengths = [int(np.count_nonzero(r)) for r in split["targets"]]
    rows: list[list[int]] = []  # pair indices per row
    used_source = used_target = length + 1  # forces a first row
    for index, (source, target_length) in enumerate(zip(sources, target_lengths, strict=True)):
        if used_source + len(source) > length or used_target + target_length > length:
            rows.append([])
            used_source = used_target = 0
        rows[-1].append(index)
        used_source += len(source)
        used_target += target_length

    out = {name: np.zeros((len(rows), length), np.int32)
           for name in ("source", "target_inputs", "targets", *PACKED_FIELDS)}
    for row, indices in enumerate(rows):
        source_at = target_at = 0
        for segment, index in enumerate(indices, start=1):
            source, n = sources[index], target_lengths[index]
            out["source"][row, source_at:source_at + len(source)] = source
            out["source_segments"][row, source_at:source_at + len(source)] = segment
            out["source_positions"][row, source_at:source_at + len(source)] = np.arange(len(source))
            out["target_inputs"][row, target_at:target_at + n] = split["target_inputs"][index, :n]
            out["targets"][row, target_at:target_at + n] = split["targets"][index, :n]
            out["target_segments"][row, target_at:target_at + n] = segment
            out["target_positions"][row, target_at:target_at + n] = np.arange(n)
            source_at += len(source)
            target_at += n
    return out
