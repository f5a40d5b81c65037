"""Recurrent layers: a cell scanned over time, stacked, optionally bidirectional, with lengths masks.

Data layout is batch-major, (batch, time, features). Each layer computes every step's input terms W x + b in one
matrix product before the scan (see `recurrent_cells`), so the scanned loop holds only what depends on h_{t-1}.

Variable lengths: with `lengths` given, steps at t >= length leave the carry unchanged and output zeros, so the
final carry is the state after the last real step and padding never changes a result (tested); a reverse layer
reads each sequence backwards from its own last real step.
"""

from collections.abc import Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen.recurrent import flip_sequences

from models.layers.dropout import Dropout
from models.layers.recurrent_cells import get_cell


def _flip(x, lengths):
    return flip_sequences(x, lengths, num_batch_dims=1, time_major=False)


class Recurrent(nn.Module):
    """One recurrent layer. Returns (final carry, outputs (batch, time, features)).

    `hidden_offsets` (batch, time, features), added to each h_t where the next step reads it, exist for
    measuring dLoss/dh_t (the gradient with respect to an offset of zero); leave them None otherwise."""

    cell: str
    features: int
    cell_options: Mapping = None
    reverse: bool = False
    unroll: int = 1

    @nn.compact
    def __call__(self, inputs, lengths=None, initial_carry=None, hidden_offsets=None):
        cell = get_cell(self.cell)(self.features, **dict(self.cell_options or {}), name="cell")
        batch, steps = inputs.shape[:2]
        if self.reverse:
            inputs = _flip(inputs, lengths)
        # Time-major inside: the scan walks the leading axis, and transposing the inputs costs less than
        # transposing their 3-4x wider projections.
        inputs = inputs.swapaxes(0, 1)
        carry = cell.initial_carry((batch,), inputs.dtype) if initial_carry is None else initial_carry
        mask = None if lengths is None else jnp.arange(steps)[:, None] < lengths[None, :]  # (time, batch)
        offsets = None if hidden_offsets is None else hidden_offsets.swapaxes(0, 1)

        def step(cell, carry, xs):
            projected_t, mask_t, offset_t = xs
            new_carry, h = cell.recur(carry, projected_t)
            if offset_t is not None:
                new_carry = cell.with_hidden(new_carry, cell.hidden(new_carry) + offset_t)
                h = cell.hidden(new_carry)
            if mask_t is not None:
                keep = mask_t[:, None]
                new_carry = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_carry, carry)
                h = jnp.where(keep, h, 0.0)
            return new_carry, h

        if hasattr(cell, "scan_inputs") and hidden_offsets is None:  # a cell's own whole-layer kernel
            carry, outputs = cell.scan_inputs(carry, inputs, mask, self.unroll)
            if mask is not None:
                outputs = jnp.where(mask[..., None], outputs, 0.0)
        else:
            scan = nn.scan(step, variable_broadcast="params", split_rngs={"params": False}, unroll=self.unroll)
            carry, outputs = scan(cell, carry, (cell.project_inputs(inputs), mask, offsets))
        outputs = outputs.swapaxes(0, 1)
        if self.reverse:
            outputs = _flip(outputs, lengths)
        return carry, outputs


def recurrent_hidden(carry):
    """h from a carry: an LSTM carries (c, h), the other cells h alone."""
    return carry[1] if isinstance(carry, tuple) else carry


class RecurrentStack(nn.Module):
    """`num_layers` recurrent layers, each reading the outputs of the one below; with `bidirectional`, each layer
    is a forward and a backward layer whose outputs are concatenated (Schuster & Paliwal 1997). Dropout between
    layers (Zaremba et al. 2014) when `dropout_rate` > 0.

    Returns (outputs (batch, time, features * directions), summary (batch, features * directions)): the summary
    is the top layer's final h (the forward direction after its last real step, the backward one after t = 0)."""

    cell: str
    features: int
    num_layers: int = 1
    bidirectional: bool = False
    cell_options: Mapping = None
    dropout_rate: float = 0.0
    unroll: int = 1

    @nn.compact
    def __call__(self, inputs, lengths=None, train: bool = False):
        x, summary = inputs, None
        for layer in range(self.num_layers):
            if layer and self.dropout_rate:
                x = Dropout(self.dropout_rate, deterministic=not train)(x)
            outputs, finals = [], []
            for reverse in (False, True) if self.bidirectional else (False,):
                name = f"layer{layer}_{'backward' if reverse else 'forward'}"
                recurrent = Recurrent(self.cell, self.features, self.cell_options, reverse, self.unroll, name=name)
                carry, out = recurrent(x, lengths)
                outputs.append(out)
                finals.append(recurrent_hidden(carry))
            x = jnp.concatenate(outputs, axis=-1) if len(outputs) > 1 else outputs[0]
            summary = jnp.concatenate(finals, axis=-1) if len(finals) > 1 else finals[0]
        return x, summary
