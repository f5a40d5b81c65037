"""Vision Transformer: Dosovitskiy et al. (2021), "An image is worth 16x16 words", section 3.1, eqs. 1-4, Table 1.

The image is cut into P x P patches, each linearly embedded (a P x P convolution of stride P: the same linear map
of every flattened patch, eq. 1), a learned [class] token is prepended, learned 1-D position embeddings are added,
and L pre-LayerNorm encoder blocks follow (eqs. 2-3: z' = MSA(LN(z)) + z, z = MLP(LN(z')) + z', the MLP two
layers with a GELU); the class token's final state, layer-normalised, feeds the classification head (eq. 4).

Optional, off by default (the paper trains without it): stochastic depth (Huang et al. 2016, section 3, as DeiT
uses it, Touvron et al. 2021, Table 9): in training each block's two residual branches are dropped per example
with probability p_l and scaled by 1 / (1 - p_l) when kept, p_l rising linearly from 0 at the first block to
`stochastic_depth_rate` at the last (timm's rule); evaluation keeps every branch.

Variants (Table 1; patch size after the slash): Ti and S (from DeiT, Touvron et al. 2021), B, L, H:
  Ti: width 192, depth 12, MLP 768, 3 heads     S: 384, 12, 1536, 6     B: 768, 12, 3072, 12
  L: 1024, 24, 4096, 16                          H: 1280, 32, 5120, 16
Parameter names follow the google-research/vision_transformer checkpoints (embedding, cls,
Transformer/posembed_input/pos_embedding, Transformer/encoderblock_i/..., Transformer/encoder_norm, head), so
models/vit_checkpoints.py loads their .npz files directly.
"""

import flax.linen as nn
import jax.numpy as jnp

from models.layers.attention import MultiHeadAttention
from models.layers.conv import Conv
from models.layers.dropout import Dropout

VARIANTS = {
    "ti": dict(hidden_size=192, num_layers=12, mlp_dim=768, num_heads=3),
    "s": dict(hidden_size=384, num_layers=12, mlp_dim=1536, num_heads=6),
    "b": dict(hidden_size=768, num_layers=12, mlp_dim=3072, num_heads=12),
    "l": dict(hidden_size=1024, num_layers=24, mlp_dim=4096, num_heads=16),
    "h": dict(hidden_size=1280, num_layers=32, mlp_dim=5120, num_heads=16),
}


class MlpBlock(nn.Module):
    mlp_dim: int
    dropout_rate: float = 0.0

    @nn.compact
    def __call__(self, x, train: bool):
        init = nn.initializers.xavier_uniform()
        # GELU in its tanh approximation, as the authors' implementation (flax's nn.gelu default).
        y = nn.gelu(nn.Dense(self.mlp_dim, kernel_init=init, bias_init=nn.initializers.normal(1e-6))(x),
                    approximate=True)
        y = Dropout(self.dropout_rate, deterministic=not train)(y)
        y = nn.Dense(x.shape[-1], kernel_init=init, bias_init=nn.initializers.normal(1e-6))(y)
        return Dropout(self.dropout_rate, deterministic=not train)(y)


class Encoder1DBlock(nn.Module):
    num_heads: int
    mlp_dim: int
    dropout_rate: float = 0.0
    attention_dropout_rate: float = 0.0
    sow_weights: bool = False
    drop_path_rate: float = 0.0  # stochastic depth: this block's probability of dropping a residual branch

    @nn.compact
    def __call__(self, x, train: bool):
        y = nn.LayerNorm(name="LayerNorm_0")(x)
        y = MultiHeadAttention(self.num_heads, x.shape[-1], self.attention_dropout_rate,
                               sow_weights=self.sow_weights, name="MultiHeadDotProductAttention_1")(y, y, None, train)
        x = x + self._drop_path(Dropout(self.dropout_rate, deterministic=not train)(y), train, "DropPath_0")
        y = nn.LayerNorm(name="LayerNorm_2")(x)
        return x + self._drop_path(MlpBlock(self.mlp_dim, self.dropout_rate, name="MlpBlock_3")(y, train), train,
                                  "DropPath_1")

    def _drop_path(self, branch, train: bool, name: str):
        """The residual branch dropped for whole examples: dropout of a (batch, 1, 1) mask of ones."""
        if not self.drop_path_rate:
            return branch
        ones = jnp.ones((branch.shape[0], 1, 1), branch.dtype)
        return branch * Dropout(self.drop_path_rate, deterministic=not train, name=name)(ones)


class AddPositionEmbs(nn.Module):
    """Learned 1-D position embeddings, one per token (class token included)."""

    @nn.compact
    def __call__(self, x):
        return x + self.param("pos_embedding", nn.initializers.normal(0.02), (1, *x.shape[1:]))


class Encoder(nn.Module):
    num_layers: int
    num_heads: int
    mlp_dim: int
    dropout_rate: float = 0.0
    attention_dropout_rate: float = 0.0
    sow_weights: bool = False
    stochastic_depth_rate: float = 0.0

    @nn.compact
    def __call__(self, x, train: bool):
        x = AddPositionEmbs(name="posembed_input")(x)
        x = Dropout(self.dropout_rate, deterministic=not train)(x)
        for i in range(self.num_layers):
            drop_path_rate = self.stochastic_depth_rate * i / max(self.num_layers - 1, 1)
            x = Encoder1DBlock(self.num_heads, self.mlp_dim, self.dropout_rate, self.attention_dropout_rate,
                               self.sow_weights, drop_path_rate, name=f"encoderblock_{i}")(x, train)
        return nn.LayerNorm(name="encoder_norm")(x)


class ViT(nn.Module):
    """images (batch, H, W, C) -> logits (batch, num_classes)."""

    num_classes: int = 1000
    patch_size: int = 16
    hidden_size: int = 768
    num_layers: int = 12
    mlp_dim: int = 3072
    num_heads: int = 12
    dropout_rate: float = 0.0
    attention_dropout_rate: float = 0.0
    sow_weights: bool = False  # keep every layer's attention weights (attention rollout)
    stochastic_depth_rate: float = 0.0  # the last block's drop-path probability (0 at the first, linear between)

    @nn.compact
    def __call__(self, images, train: bool = False):
        p = self.patch_size
        if images.shape[1] % p or images.shape[2] % p:  # a strided VALID convolution would drop the remainder
            raise ValueError(f"ViT with patch_size={p} needs images whose sides are multiples of {p}; got "
                             f"{images.shape[1]}x{images.shape[2]}.")
        # Our Conv: the same parameters as nn.Conv, with gradients laid out for the CPU's fast convolutions
        # inside the trainer's compiled loop (models/layers/conv.py).
        x = Conv(self.hidden_size, (p, p), strides=(p, p), padding="VALID", name="embedding")(images)
        batch, height, width, channels = x.shape
        x = x.reshape(batch, height * width, channels)
        cls = self.param("cls", nn.initializers.zeros, (1, 1, channels))
        x = jnp.concatenate([jnp.tile(cls, (batch, 1, 1)), x], axis=1)
        x = Encoder(self.num_layers, self.num_heads, self.mlp_dim, self.dropout_rate, self.attention_dropout_rate,
                    self.sow_weights, self.stochastic_depth_rate, name="Transformer")(x, train)
        return nn.Dense(self.num_classes, kernel_init=nn.initializers.zeros, name="head")(x[:, 0])
