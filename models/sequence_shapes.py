"""The sequence deck's four input/output shapes of a recurrent network, as small named wrappers around one
`RecurrentStack` (Karpathy 2015, "The unreasonable effectiveness of recurrent neural networks", figure 1). The
fifth shape, unaligned many-to-many (sequence to sequence), is the encoder-decoder of the translation models.

Shared fields: cell ("rnn" | "lstm" | "fused_lstm" | "gru"), features (hidden units per direction), num_layers,
bidirectional, cell_options (e.g. {"candidate_bias": True}), dropout_rate (between layers), unroll (scan unroll),
num_classes (outputs per step or per sequence; 1 for a regression), vocab_size (> 0: the inputs are symbol ids,
embedded in `embedding_dim` dimensions; 0: the inputs are real vectors), step_size (> 0: the inputs are images
read as a sequence of `step_size` values per step, e.g. 28 for MNIST row by row, 1 for pixel by pixel).
"""

from collections.abc import Mapping

import flax.linen as nn
import jax.numpy as jnp

from models.layers.recurrent import RecurrentStack


class _Shape(nn.Module):
    num_classes: int = 10
    cell: str = "lstm"
    features: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    cell_options: Mapping = None
    dropout_rate: float = 0.0
    unroll: int = 1
    vocab_size: int = 0
    embedding_dim: int = 32
    step_size: int = 0

    def _steps(self, inputs):
        """(batch, time, features) from ids, images or vectors."""
        if self.vocab_size:
            return nn.Embed(self.vocab_size, self.embedding_dim, name="embed")(inputs)
        if self.step_size:
            return inputs.reshape(inputs.shape[0], -1, self.step_size)
        return inputs

    def _recurrent(self):
        return RecurrentStack(self.cell, self.features, self.num_layers, self.bidirectional, self.cell_options,
                              self.dropout_rate, self.unroll, name="recurrent")


class OneToOne(_Shape):
    """One input, one output, one step: a recurrent cell from the zero state is a feed-forward layer
    (h = tanh(W x + b) for the Elman cell), the deck's starting point. inputs (batch, features)."""

    @nn.compact
    def __call__(self, inputs, train: bool = False):
        _, summary = self._recurrent()(inputs.reshape(inputs.shape[0], 1, -1), train=train)
        return nn.Dense(self.num_classes, name="head")(summary)


class ManyToOne(_Shape):
    """Sequence in, one output: the final hidden state (both directions' when bidirectional) through a dense
    layer (sequence classification, sequential MNIST, the adding problem). inputs (batch, time, ...);
    `lengths` (batch,) marks real steps of padded sequences."""

    @nn.compact
    def __call__(self, inputs, train: bool = False, lengths=None):
        _, summary = self._recurrent()(self._steps(inputs), lengths, train)
        return nn.Dense(self.num_classes, name="head")(summary)


class OneToMany(_Shape):
    """One input, a sequence out (generation from a vector, e.g. a caption for an image): the vector is the first
    step's input and zeros follow, so later steps draw on the recurrent state alone; a dense layer reads every
    step. inputs (batch, features) -> (batch, output_length, num_classes)."""

    output_length: int = 6

    @nn.compact
    def __call__(self, inputs, train: bool = False):
        first = nn.Dense(self.features, name="encode")(inputs.reshape(inputs.shape[0], -1))
        steps = jnp.zeros((first.shape[0], self.output_length, first.shape[1]), first.dtype).at[:, 0].set(first)
        outputs, _ = self._recurrent()(steps, train=train)
        return nn.Dense(self.num_classes, name="head")(outputs)


class ManyToManyAligned(_Shape):
    """One output per input step (tagging, the copy task): a dense layer reads every step's hidden state.
    inputs (batch, time, ...) -> (batch, time, num_classes)."""

    @nn.compact
    def __call__(self, inputs, train: bool = False, lengths=None):
        outputs, _ = self._recurrent()(self._steps(inputs), lengths, train)
        return nn.Dense(self.num_classes, name="head")(outputs)
