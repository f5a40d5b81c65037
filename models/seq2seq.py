"""Recurrent encoder-decoders for translation: the unaligned many-to-many shape of the sequence deck.

RNNEncoderDecoder: Sutskever, Vinyals & Le (2014), section 2: an encoder reads the source, its final state starts
a decoder that predicts the target one token at a time, fed the previous target token. `attention`:
  "none":     the plain encoder-decoder (the whole source squeezed into one state);
  "bahdanau": Bahdanau, Cho & Bengio (2015), section 3.1 and appendix A.1.2: additive attention
              e_tj = v^T tanh(W s_{t-1} + U h_j) from the previous decoder state; the context c_t joins the
              decoder's input, and the output layer reads s_t, c_t and the previous token's embedding;
  "luong":    Luong, Pham & Manning (2015), sections 3.1-3.3: dot-product attention score(h_t, h_j) = h_t . W h_j
              from the current decoder state (W maps the encoder states to the decoder's width), attentional
              state h~_t = tanh(W_c [c_t; h_t]) for the output, and input feeding of h~_{t-1}.
Cells are those of models/layers/recurrent_cells.py ("rnn", "lstm", "gru", "fused_lstm"); the encoder is a
`RecurrentStack` (bidirectional by default, Bahdanau's), masked by the source lengths. The decoder's first state
is tanh(W_s h_enc) of the encoder's final states (Bahdanau's s_0; an LSTM's first cell state is zero).

Decoding interface shared with the Transformer (train/tasks/beam_search.py): `encode(source)` and
`decode_targets(encoded, source, target_inputs, offset=i)`, with `decode=True` reading one position per call and
keeping the decoder state in the "cache" collection. `attention_weights(source, target_inputs)` returns the
(batch, target, source) attention for heatmaps.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.layers.dropout import Dropout
from models.layers.recurrent import RecurrentStack
from models.layers.recurrent_cells import get_cell

ATTENTIONS = ("none", "bahdanau", "luong")


class _DecoderStep(nn.Module):
    """One decoder step: (state, embedded previous token) -> (state, logits, attention weights)."""

    cell: str
    features: int
    target_vocab_size: int
    attention: str

    @nn.compact
    def __call__(self, state, embedded, memory, keys, memory_valid):
        carry, feed = state
        cell = get_cell(self.cell)(self.features, name="cell")
        weights = jnp.zeros(memory.shape[:2], memory.dtype)
        if self.attention == "bahdanau":
            query = nn.Dense(self.features, use_bias=False, name="W")(cell.hidden(carry))
            energies = nn.Dense(1, use_bias=False, name="v")(jnp.tanh(query[:, None] + keys))[..., 0]
            weights = _masked_softmax(energies, memory_valid)
            context = jnp.einsum("bs,bsd->bd", weights, memory)
            carry, h = cell(carry, jnp.concatenate([embedded, context], axis=-1))
            output = jnp.concatenate([h, context, embedded], axis=-1)
        elif self.attention == "luong":
            carry, h = cell(carry, jnp.concatenate([embedded, feed], axis=-1))  # input feeding (section 3.3)
            weights = _masked_softmax(jnp.einsum("bd,bsd->bs", h, keys), memory_valid)
            context = jnp.einsum("bs,bsd->bd", weights, memory)
            feed = output = jnp.tanh(nn.Dense(self.features, use_bias=False, name="W_c")(
                jnp.concatenate([context, h], axis=-1)))
        else:
            carry, h = cell(carry, embedded)
            output = h
        logits = nn.Dense(self.target_vocab_size, name="output")(output)
        return (carry, feed), logits, weights


class _CachedStep(nn.Module):
    """`step` for decoding one position per call, its state kept in the "cache" collection; at offset 0 the state
    starts afresh from the encoder."""

    step: nn.Module

    @nn.compact
    def __call__(self, fresh_state, embedded, memory, keys, valid, offset):
        initialized = self.has_variable("cache", "state")
        state = self.variable("cache", "state", lambda: fresh_state)
        current = fresh_state if not initialized else jax.tree.map(
            lambda fresh, kept: jnp.where(offset == 0, fresh, kept), fresh_state, state.value)
        new_state, logits, weights = self.step(current, embedded, memory, keys, valid)
        if initialized:  # the init call only sizes the cache
            state.value = new_state
        return logits, weights


def _masked_softmax(scores, valid):
    return jax.nn.softmax(jnp.where(valid, scores, jnp.finfo(scores.dtype).min), axis=-1)


class RNNEncoderDecoder(nn.Module):
    vocab_size: int = 8000
    target_vocab_size: int = 0  # 0: the same as vocab_size
    cell: str = "lstm"
    features: int = 256
    embedding_dim: int = 256
    encoder_layers: int = 1
    bidirectional: bool = True
    attention: str = "bahdanau"
    dropout_rate: float = 0.0
    decode: bool = False

    def setup(self):
        if self.attention not in ATTENTIONS:
            raise ValueError(f"Unknown attention {self.attention!r}; choose one of {list(ATTENTIONS)}.")
        self.source_embed = nn.Embed(self.vocab_size, self.embedding_dim)
        self.target_embed = nn.Embed(self.target_vocab_size or self.vocab_size, self.embedding_dim)
        self.encoder = RecurrentStack(self.cell, self.features, self.encoder_layers, self.bidirectional,
                                      dropout_rate=self.dropout_rate)
        self.bridge = nn.Dense(self.features)
        self.keys = nn.Dense(self.features, use_bias=False)  # U h_j (Bahdanau) or W h_j (Luong), once per source
        self.step = _DecoderStep(self.cell, self.features, self.target_vocab_size or self.vocab_size,
                                 self.attention)
        self.cached_step = _CachedStep(self.step)
        self.dropout = Dropout(self.dropout_rate)

    def encode(self, source, train: bool = False):
        """(memory (batch, S, features * directions), first decoder state)."""
        lengths = jnp.sum(source > 0, axis=1)
        embedded = self.dropout(self.source_embed(source), deterministic=not train)
        memory, summary = self.encoder(embedded, lengths, train)
        start = jnp.tanh(self.bridge(summary))
        return memory, start

    def _initial_state(self, start):
        cell = get_cell(self.cell)(self.features, parent=None)
        carry = cell.initial_carry(start.shape[:1], start.dtype)
        carry = cell.with_hidden(carry, start)
        return carry, jnp.zeros_like(start)

    def _run(self, encoded, source, target_inputs, train: bool, offset=0):
        memory, start = encoded
        keys = self.keys(memory)
        valid = source > 0
        embedded = self.dropout(self.target_embed(target_inputs), deterministic=not train)
        if self.decode:
            logits, weights = self.cached_step(self._initial_state(start), embedded[:, 0], memory, keys, valid,
                                               offset)
            return logits[:, None], weights[:, None]
        return self._scan(self._initial_state(start), embedded, memory, keys, valid)

    def _scan(self, state, embedded, memory, keys, valid):
        def body(step, state, embedded_t):
            state, logits, weights = step(state, embedded_t, memory, keys, valid)
            return state, (logits, weights)

        scan = nn.scan(body, variable_broadcast="params", split_rngs={"params": False}, in_axes=1, out_axes=1)
        _, (logits, weights) = scan(self.step, state, embedded)
        return logits, weights

    def decode_targets(self, encoded, source, target_inputs, train: bool = False, offset=0):
        return self._run(encoded, source, target_inputs, train, offset)[0]

    def attention_weights(self, source, target_inputs):
        return self._run(self.encode(source), source, target_inputs, False)[1]

    def __call__(self, source, target_inputs, train: bool = False):
        return self.decode_targets(self.encode(source, train), source, target_inputs, train)
