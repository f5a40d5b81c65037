"""The Transformer: Vaswani et al. (2017), "Attention is all you need", section 3 and Table 3 (base model).

Encoder and decoder stacks of N layers (section 3.1): multi-head self-attention and a position-wise feed-forward
network FFN(x) = max(0, x W1 + b1) W2 + b2 (section 3.3), each wrapped as LayerNorm(x + Dropout(Sublayer(x)))
("post-LN", as the paper; `pre_ln=True` gives x + Dropout(Sublayer(LayerNorm(x))) with a final LayerNorm, the
form later work found easier to train). The decoder adds attention over the encoder's output and masks its
self-attention causally (section 3.2.3). Embeddings are multiplied by sqrt(d_model) and summed with sinusoidal
positions (section 3.5; `learned_positions` for a learned table); dropout 0.1 on the sums and every sub-layer
(section 5.4). `share_embeddings` ties the source and target embeddings and the pre-softmax projection (section
3.4; needs one shared vocabulary).

Packed rows (several sentence pairs per row, as the flax WMT example trains): `source_segments` and
`target_segments` number the sentences of a row (1, 2, ...; 0 is padding) and `*_positions` restart at 0 for
each; attention then never crosses from one sentence to another, so a packed row computes exactly what its
sentences would alone (tests/test_translation_models.py).

Base model (Table 3): N = 6, d_model = 512, d_ff = 2048, h = 8, 65M parameters at the paper's 37k shared BPE
vocabulary (ours: 63,082,496 with 37,000 tokens; see tests/test_models.py).
"""

import flax.linen as nn
import jax.numpy as jnp

from models.layers.attention import AddPositions, MultiHeadAttention, causal_mask, padding_mask
from models.layers.dropout import Dropout


class FeedForward(nn.Module):
    d_model: int
    d_ff: int
    dropout_rate: float

    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.relu(nn.Dense(self.d_ff, kernel_init=nn.initializers.xavier_uniform(), name="W1")(x))
        x = Dropout(self.dropout_rate, deterministic=not train)(x)
        return nn.Dense(self.d_model, kernel_init=nn.initializers.xavier_uniform(), name="W2")(x)


class _Residual(nn.Module):
    """LayerNorm(x + Dropout(f(x))) or, pre-LN, x + Dropout(f(LayerNorm(x)))."""

    dropout_rate: float
    pre_ln: bool

    @nn.compact
    def __call__(self, x, sublayer, train: bool):
        norm = nn.LayerNorm(epsilon=1e-6, name="norm")
        y = sublayer(norm(x) if self.pre_ln else x)
        x = x + Dropout(self.dropout_rate, deterministic=not train)(y)
        return x if self.pre_ln else norm(x)


class EncoderLayer(nn.Module):
    d_model: int
    num_heads: int
    d_ff: int
    dropout_rate: float
    pre_ln: bool = False
    sow_weights: bool = False

    @nn.compact
    def __call__(self, x, mask, train: bool):
        attention = MultiHeadAttention(self.num_heads, self.d_model, self.dropout_rate,
                                       sow_weights=self.sow_weights, name="self_attention")
        x = _Residual(self.dropout_rate, self.pre_ln, name="attention_block")(
            x, lambda y: attention(y, y, mask, train), train)
        ffn = FeedForward(self.d_model, self.d_ff, self.dropout_rate, name="ffn")
        return _Residual(self.dropout_rate, self.pre_ln, name="ffn_block")(x, lambda y: ffn(y, train), train)


class DecoderLayer(nn.Module):
    d_model: int
    num_heads: int
    d_ff: int
    dropout_rate: float
    pre_ln: bool = False
    decode: bool = False
    sow_weights: bool = False

    @nn.compact
    def __call__(self, x, encoded, self_mask, cross_mask, train: bool):
        self_attention = MultiHeadAttention(self.num_heads, self.d_model, self.dropout_rate, decode=self.decode,
                                            name="self_attention")
        x = _Residual(self.dropout_rate, self.pre_ln, name="self_attention_block")(
            x, lambda y: self_attention(y, y, self_mask, train), train)
        cross_attention = MultiHeadAttention(self.num_heads, self.d_model, self.dropout_rate,
                                             sow_weights=self.sow_weights, name="cross_attention")
        x = _Residual(self.dropout_rate, self.pre_ln, name="cross_attention_block")(
            x, lambda y: cross_attention(y, encoded, cross_mask, train), train)
        ffn = FeedForward(self.d_model, self.d_ff, self.dropout_rate, name="ffn")
        return _Residual(self.dropout_rate, self.pre_ln, name="ffn_block")(x, lambda y: ffn(y, train), train)


class Transformer(nn.Module):
    """Token ids in, next-token logits out. Id 0 is padding (masked everywhere)."""

    vocab_size: int = 37_000  # source vocabulary (the shared one when share_embeddings)
    target_vocab_size: int = 0  # 0: the same as vocab_size
    d_model: int = 512
    num_heads: int = 8
    num_encoder_layers: int = 6
    num_decoder_layers: int = 6
    d_ff: int = 2048
    dropout_rate: float = 0.1
    max_length: int = 256
    share_embeddings: bool = True
    learned_positions: bool = False
    pre_ln: bool = False
    decode: bool = False  # one target position per call, with key/value caches (see `decode_step`)
    sow_weights: bool = False  # keep the cross-attention weights (attention heatmaps)

    def setup(self):
        target_vocab = self.target_vocab_size or self.vocab_size
        if self.share_embeddings and target_vocab != self.vocab_size:
            raise ValueError(f"share_embeddings needs one vocabulary; got {self.vocab_size} and {target_vocab}.")
        embed_init = nn.initializers.normal(self.d_model ** -0.5)
        self.source_embed = nn.Embed(self.vocab_size, self.d_model, embedding_init=embed_init)
        self.target_embed = (self.source_embed if self.share_embeddings
                             else nn.Embed(target_vocab, self.d_model, embedding_init=embed_init))
        if not self.share_embeddings:
            # The pre-softmax projection x W with W stored transposed, (vocabulary, d_model) like an embedding
            # table, and applied by `attend`: the same function and initialisation as a bias-free Dense layer, but
            # XLA:CPU then forms its weight gradient without transposing the (tokens, vocabulary) logit gradient,
            # which made the Transformer benchmark's step about 8% faster (docs/speed.md).
            self.output_projection = nn.Embed(
                target_vocab, self.d_model, embedding_init=nn.initializers.lecun_normal(in_axis=-1, out_axis=-2))
        self.source_positions = AddPositions(self.max_length, self.learned_positions)
        self.target_positions = AddPositions(self.max_length, self.learned_positions)
        self.encoder_layers = [
            EncoderLayer(self.d_model, self.num_heads, self.d_ff, self.dropout_rate, self.pre_ln, self.sow_weights)
            for _ in range(self.num_encoder_layers)
        ]
        self.decoder_layers = [
            DecoderLayer(self.d_model, self.num_heads, self.d_ff, self.dropout_rate, self.pre_ln, self.decode,
                         self.sow_weights)
            for _ in range(self.num_decoder_layers)
        ]
        if self.pre_ln:
            self.encoder_norm = nn.LayerNorm(epsilon=1e-6)
            self.decoder_norm = nn.LayerNorm(epsilon=1e-6)
        self.dropout = Dropout(self.dropout_rate)

    def _embed(self, embed, add_positions, ids, train, offset=0, positions=None):
        x = add_positions(embed(ids) * jnp.sqrt(self.d_model).astype(jnp.float32), offset, positions)
        return self.dropout(x, deterministic=not train)

    def encode(self, source, train: bool = False, source_segments=None, source_positions=None):
        """source (batch, length) ids -> encoded (batch, length, d_model)."""
        valid = source > 0
        x = self._embed(self.source_embed, self.source_positions, source, train, positions=source_positions)
        mask = padding_mask(valid, valid) & same_segment(source_segments, source_segments)
        for layer in self.encoder_layers:
            x = layer(x, mask, train)
        return self.encoder_norm(x) if self.pre_ln else x

    def decode_targets(self, encoded, source, target_inputs, train: bool = False, offset=0, source_segments=None,
                       target_segments=None, target_positions=None):
        """Logits (batch, target length, target vocab) for the target inputs (BOS, y_1, ..., y_{n-1}). With
        `decode=True` the target inputs are one position, `offset`, and the self-attention reads its caches."""
        source_valid = source > 0
        x = self._embed(self.target_embed, self.target_positions, target_inputs, train, offset, target_positions)
        target_valid = jnp.ones(target_inputs.shape, bool) if self.decode else target_inputs > 0
        self_mask = None if self.decode else (padding_mask(target_valid, target_valid) & causal_mask(x.shape[1])
                                              & same_segment(target_segments, target_segments))
        cross_mask = padding_mask(target_valid, source_valid) & same_segment(target_segments, source_segments)
        for layer in self.decoder_layers:
            x = layer(x, encoded, self_mask, cross_mask, train)
        if self.pre_ln:
            x = self.decoder_norm(x)
        if self.share_embeddings:
            return self.target_embed.attend(x)
        return self.output_projection.attend(x)

    def __call__(self, source, target_inputs, train: bool = False, source_segments=None, target_segments=None,
                 source_positions=None, target_positions=None):
        encoded = self.encode(source, train, source_segments, source_positions)
        return self.decode_targets(encoded, source, target_inputs, train, source_segments=source_segments,
                                   target_segments=target_segments, target_positions=target_positions)


def same_segment(query_segments, key_segments):
    """(batch, 1, query, key) True where query and key belong to the same packed sentence; True everywhere when
    the rows are not packed (None)."""
    if query_segments is None:
        return True
    return query_segments[:, None, :, None] == key_segments[:, None, None, :]
