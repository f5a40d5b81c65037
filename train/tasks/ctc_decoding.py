"""CTC decoding (Graves et al. 2006, section 3.2): best path (greedy, compiled) and prefix beam search (host).

Frames score num_classes + 1 symbols with the blank at index 0; symbol s > 0 is label s - 1. A path maps to a label
sequence by merging repeated symbols and then removing blanks ("a a - a b -" -> "a a b").
"""

import collections
import math

import jax
import jax.numpy as jnp
import numpy as np

BLANK = 0


def greedy_decode(logits: jax.Array, logit_paddings: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """Best path decoding: the most likely symbol of each frame, merged and blanks removed.

    logits (batch, frames, symbols) -> (labels (batch, frames) padded with -1, lengths (batch,)). Labels are
    0-based (symbol - 1)."""
    best = jnp.argmax(logits, axis=-1)
    previous = jnp.pad(best, ((0, 0), (1, 0)), constant_values=BLANK)[:, :-1]
    keep = (best != BLANK) & (best != previous)
    if logit_paddings is not None:
        keep &= logit_paddings == 0
    positions = jnp.where(keep, jnp.cumsum(keep, axis=1) - 1, best.shape[1])  # dropped ones go out of range
    rows = jnp.arange(best.shape[0])[:, None]
    labels = jnp.full(best.shape, -1, best.dtype).at[rows, positions].set(best - 1, mode="drop")
    return labels, jnp.sum(keep, axis=1)


def edit_distances(decoded: jax.Array, decoded_lengths: jax.Array, labels: jax.Array,
                   label_lengths: jax.Array) -> jax.Array:
    """Levenshtein distance between each decoded sequence and its labels, (batch,) int32, for per-symbol accuracy.

    decoded (batch, D), labels (batch, L): only the first *_lengths entries of each row count. One DP row over
    the labels is carried along the decoded symbols (L is small: a zip code has 5)."""
    batch, max_labels = labels.shape
    row = jnp.broadcast_to(jnp.arange(max_labels + 1), (batch, max_labels + 1))

    def advance(row, inputs):
        symbol, active = inputs
        new = [row[:, 0] + 1]
        for j in range(1, max_labels + 1):
            substitution = row[:, j - 1] + (labels[:, j - 1] != symbol)
            new.append(jnp.minimum(jnp.minimum(row[:, j] + 1, new[j - 1] + 1), substitution))
        return jnp.where(active[:, None], jnp.stack(new, axis=1), row), None

    active = jnp.arange(decoded.shape[1])[None, :] < decoded_lengths[:, None]
    row, _ = jax.lax.scan(advance, row, (decoded.T, active.T))
    return jnp.take_along_axis(row, label_lengths[:, None], axis=1)[:, 0]


def beam_search_decode(log_probs: np.ndarray, beam_width: int = 8) -> list[int]:
    """CTC prefix beam search over one sequence's frames (frames, symbols) of log-probabilities: keeps the
    `beam_width` most probable label prefixes, each with the probability of its paths ending in a blank and in
    its last label, so that different paths to one labelling add up (Graves 2012, section 7.5; Hannun et al.
    2014, Algorithm 1). Returns the most probable 0-based label sequence."""
    log_probs = np.asarray(log_probs, np.float64)
    logsumexp = np.logaddexp
    beams = {(): (0.0, -math.inf)}  # prefix -> (log P(ends in blank), log P(ends in its last label))
    for frame in log_probs:
        following = collections.defaultdict(lambda: [-math.inf, -math.inf])
        for prefix, (p_blank, p_label) in beams.items():
            p_total = logsumexp(p_blank, p_label)
            entry = following[prefix]
            entry[0] = logsumexp(entry[0], p_total + frame[BLANK])
            for symbol in range(1, len(frame)):
                p = frame[symbol]
                label = symbol - 1
                extended = following[(*prefix, label)]
                if prefix and prefix[-1] == label:
                    # A repeat needs a blank in between; without one the path stays on this prefix.
                    extended[1] = logsumexp(extended[1], p_blank + p)
                    entry[1] = logsumexp(entry[1], p_label + p)
                else:
                    extended[1] = logsumexp(extended[1], p_total + p)
        ranked = sorted(following.items(), key=lambda item: -logsumexp(*item[1]))
        beams = {prefix: tuple(p) for prefix, p in ranked[:beam_width]}
    best = max(beams.items(), key=lambda item: logsumexp(*item[1]))
    return list(best[0])
