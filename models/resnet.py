"""Residual networks, and the "plain" networks they are compared with.

K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image Recognition", CVPR 2016. Section 3.3 and
Table 1 (ImageNet architectures), section 3.3 options A/B for shortcuts, section 3.4 (BatchNorm after each
convolution, He initialisation), section 4.2 and Table 6 (CIFAR-10 networks).
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.layers import Conv, get_activation

# Table 1: (block, blocks per stage) for each depth.
IMAGENET_DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# "We initialize the weights as in [He et al. 2015]".
he_normal = nn.initializers.variance_scaling(2.0, "fan_in", "normal")


class ConvNorm(nn.Module):
    """Convolution then BatchNorm (section 3.4: "BN right after each convolution and before activation"), or a
    biased convolution when batch_norm is off (an ablation knob). BatchNorm statistics are taken over the global
    batch: under `jax.jit` with the batch sharded over devices, the mean is a cross-device reduction."""

    features: int
    kernel: int
    stride: int = 1
    batch_norm: bool = True
    scale_init: nn.initializers.Initializer = nn.initializers.ones

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        x = Conv(self.features, (self.kernel, self.kernel), self.stride, padding=(self.kernel - 1) // 2,
                    use_bias=not self.batch_norm, kernel_init=he_normal)(x)
        if self.batch_norm:
            x = nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                             scale_init=self.scale_init)(x)
        return x


class Block(nn.Module):
    """What both residual blocks take. `shortcut`: "projection" (option B) or "pad" (option A, zero-padded
    identity, the CIFAR networks) where the shape changes, identity elsewhere; None for a plain network."""

    features: int
    stride: int
    shortcut: str | None
    batch_norm: bool = True
    activation: str = "relu"


class BasicBlock(Block):
    """Figure 5 left: two 3x3 convolutions."""

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        act = get_activation(self.activation)
        y = act(ConvNorm(self.features, 3, self.stride, self.batch_norm)(x, train))
        y = ConvNorm(self.features, 3, 1, self.batch_norm)(y, train)
        return act(y + _shortcut(x, y.shape[-1], self.stride, self.shortcut, self.batch_norm, train))


class BottleneckBlock(Block):
    """Figure 5 right: 1x1 (reduce), 3x3, 1x1 (restore, 4x the width). The stride sits on the first 1x1 as in the
    paper's Caffe models (torchvision's "v1.5" moves it to the 3x3; the parameter count is the same)."""

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        act = get_activation(self.activation)
        y = act(ConvNorm(self.features, 1, self.stride, self.batch_norm)(x, train))
        y = act(ConvNorm(self.features, 3, 1, self.batch_norm)(y, train))
        y = ConvNorm(4 * self.features, 1, 1, self.batch_norm)(y, train)
        return act(y + _shortcut(x, y.shape[-1], self.stride, self.shortcut, self.batch_norm, train))


def _shortcut(x, features, stride, kind, batch_norm, train):
    if kind is None:  # plain network
        return 0.0
    if x.shape[-1] == features and stride == 1:
        return x
    if kind == "projection":  # option B: 1x1 convolution (with BN) where the shape changes
        return ConvNorm(features, 1, stride, batch_norm)(x, train)
    # option A: subsample by taking every other pixel, pad the new channels with zeros (no parameters)
    x = x[:, ::stride, ::stride, :]
    extra = features - x.shape[-1]
    return jnp.pad(x, ((0, 0), (0, 0), (0, 0), (extra // 2, extra - extra // 2)))


class ResNet(nn.Module):
    """ImageNet ResNets of Table 1: 7x7/2 conv (64) -> 3x3/2 max-pool -> four stages of basic or bottleneck
    blocks (64, 128, 256, 512 wide, the first block of stages 2-4 at stride 2) -> global average pool -> FC.
    Option B shortcuts (projections only where the shape changes), as in the paper's Table 3/4 models.
    Parameters (the paper gives FLOPs only; these equal the torchvision counts): 18: 11,689,512;
    34: 21,797,672; 50: 25,557,032; 101: 44,549,160; 152: 60,192,808. shortcuts=False gives the plain network.
    """

    depth: int = 50
    num_classes: int = 1000
    shortcuts: bool = True
    batch_norm: bool = True
    activation: str = "relu"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        if self.depth not in IMAGENET_DEPTHS:
            raise ValueError(f"No ImageNet ResNet of depth {self.depth}; choose one of {sorted(IMAGENET_DEPTHS)}.")
        block_name, stage_sizes = IMAGENET_DEPTHS[self.depth]
        block = BasicBlock if block_name == "basic" else BottleneckBlock
        act = get_activation(self.activation)
        x = act(ConvNorm(64, 7, 2, self.batch_norm)(x, train))
        x = nn.max_pool(x, (3, 3), (2, 2), padding=((1, 1), (1, 1)))
        x = _stages(x, block, (64, 128, 256, 512), stage_sizes, "projection" if self.shortcuts else None,
                    self.batch_norm, self.activation, train)
        return nn.Dense(self.num_classes)(jnp.mean(x, axis=(1, 2)))


class CifarResNet(nn.Module):
    """CIFAR-10 networks of section 4.2: 3x3 conv (16) -> three stages of n basic blocks (16, 32, 64 filters on
    32x32, 16x16, 8x8 maps) -> global average pool -> 10-way FC; 6n+2 weighted layers. Option A shortcuts
    ("all shortcuts are identity"; zero-padding where the width doubles), so the plain network (shortcuts=False)
    has exactly the same parameters. Table 6 rounds them to 0.27M, 0.46M, 0.66M, 0.85M, 1.7M, 19.4M for depths
    20, 32, 44, 56, 110, 1202; the exact counts are 269,722; 464,154; 658,586; 853,018; 1,727,962; 19,421,274.
    """

    depth: int = 20
    num_classes: int = 10
    shortcuts: bool = True
    batch_norm: bool = True
    activation: str = "relu"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        if (self.depth - 2) % 6 or self.depth < 8:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110, 1202); got {self.depth}.")
        n = (self.depth - 2) // 6
        act = get_activation(self.activation)
        x = act(ConvNorm(16, 3, 1, self.batch_norm)(x, train))
        x = _stages(x, BasicBlock, (16, 32, 64), (n, n, n), "pad" if self.shortcuts else None,
                    self.batch_norm, self.activation, train)
        return nn.Dense(self.num_classes)(jnp.mean(x, axis=(1, 2)))


def _stages(x, block, widths: Sequence[int], sizes: Sequence[int], shortcut, batch_norm, activation, train):
    for stage, (width, size) in enumerate(zip(widths, sizes, strict=True)):
        for i in range(size):
            stride = 2 if stage > 0 and i == 0 else 1
            x = block(width, stride, shortcut, batch_norm, activation, name=f"stage{stage + 1}_block{i + 1}")(
                x, train
            )
    return x
