"""A 2-D convolution whose two gradients are themselves written as plain NHWC/HWIO convolutions.

Why: inside a `lax.fori_loop` (how the trainer runs a chunk of steps as one compiled loop) XLA:CPU keeps the
gradient convolutions that autodiff emits in their transposed layouts (dim_labels f01b_i01o->01bf for the kernel,
b01f_01oi->b01f for the input), which the fast CPU convolution libraries do not take, so they run on slow
fallbacks: a four-layer CIFAR net trained at 25 examples/s in the loop against 420 as one jitted step (measured).
Outside a loop XLA re-lays them out itself. Here that re-layout is explicit (transposes and a flipped kernel
around ordinary convolutions), so both paths are fast. Both gradients equal autodiff's (tested).
"""

import functools
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

_NHWC = ("NHWC", "HWIO", "NHWC")


def _forward(x, kernel, strides, padding):
    return jax.lax.conv_general_dilated(x, kernel, strides, padding, dimension_numbers=_NHWC)


def _kernel_gradient(x, dy, kernel_shape, strides, padding):
    """dK[i, j, c, o] = sum_{n, h, w} x_padded[n, h*s + i, w*s + j, c] dy[n, h, w, o], as a convolution whose
    batch is the input channels, whose input features are the examples, and whose window is dy (dilated by the
    stride)."""
    lhs = jnp.transpose(x, (3, 1, 2, 0))  # (C, H, W, N): "batch" C, features N
    rhs = jnp.transpose(dy, (1, 2, 0, 3))  # (h, w, N, O): window h x w, in N, out O
    grad = jax.lax.conv_general_dilated(
        lhs, rhs, (1, 1), padding, rhs_dilation=strides, dimension_numbers=_NHWC
    )  # (C, >= kh, >= kw, O)
    kh, kw = kernel_shape[:2]
    return jnp.transpose(grad[:, :kh, :kw, :], (1, 2, 0, 3))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def _conv(x, kernel, strides, padding):
    return _forward(x, kernel, strides, padding)


def _fwd(x, kernel, strides, padding):
    return _forward(x, kernel, strides, padding), (x, kernel)


def _input_gradient(dy, kernel, input_shape, strides, padding):
    """dx = dy (dilated by the stride) convolved with the spatially flipped kernel, in/out channels swapped; the
    padding (k - 1 - p, plus the remainder the forward stride dropped) restores the input size."""
    flipped = jnp.transpose(kernel[::-1, ::-1], (0, 1, 3, 2))  # (kh, kw, O, C)
    new_padding = []
    for size, k, s, (low, high) in zip(input_shape[1:3], kernel.shape[:2], strides, padding, strict=True):
        dropped = (size + low + high - k) % s
        new_padding.append((k - 1 - low, k - 1 - high + dropped))
    return jax.lax.conv_general_dilated(
        dy, flipped, (1, 1), new_padding, lhs_dilation=strides, dimension_numbers=_NHWC
    )


def _bwd(strides, padding, residuals, dy):
    x, kernel = residuals
    dx = _input_gradient(dy, kernel, x.shape, strides, padding).astype(x.dtype)
    return dx, _kernel_gradient(x, dy, kernel.shape, strides, padding).astype(kernel.dtype)


_conv.defvjp(_fwd, _bwd)


def _conv_as_product(x, kernel, strides, padding):
    """The same convolution as one matrix product: the kh * kw shifted (strided) windows of the padded input
    side by side on the feature axis (N, H', W', kh * kw * C), times the kernel as (kh * kw * C, O). Autodiff
    gives its gradients (pads, slices and products, no convolution)."""
    kh, kw, _, features = kernel.shape
    x = jnp.pad(x, ((0, 0), *padding, (0, 0)))
    out_h = (x.shape[1] - kh) // strides[0] + 1
    out_w = (x.shape[2] - kw) // strides[1] + 1
    windows = [x[:, i:i + strides[0] * (out_h - 1) + 1:strides[0], j:j + strides[1] * (out_w - 1) + 1:strides[1]]
               for i in range(kh) for j in range(kw)]
    return jnp.concatenate(windows, axis=-1) @ kernel.reshape(-1, features)


def conv2d(x: jax.Array, kernel: jax.Array, strides: Sequence[int] = (1, 1),
           padding: Sequence[tuple[int, int]] = ((0, 0), (0, 0))) -> jax.Array:
    """NHWC input, HWIO kernel, explicit ((top, bottom), (left, right)) padding.

    An image smaller than the kernel in both directions (VGG's last block on CIFAR-10: 2x2 maps, 3x3 kernels)
    runs as one matrix product: XLA:CPU's convolution took 1,180 ms there for a batch of 128 with 512 maps, the
    product 13 ms (forward and backward 34 ms); for 3x3 images, or 2x8, the convolution is faster (measured;
    docs/speed.md).
    """
    strides, padding = tuple(strides), tuple(tuple(p) for p in padding)
    if x.shape[1] < kernel.shape[0] and x.shape[2] < kernel.shape[1]:
        return _conv_as_product(x, kernel, strides, padding)
    return _conv(x, kernel, strides, padding)


def explicit_padding(padding, input_size: Sequence[int], kernel_size: Sequence[int], strides: Sequence[int]):
    """"SAME", "VALID", an int (every side) or explicit pairs -> ((top, bottom), (left, right))."""
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    if padding == "VALID":
        return ((0, 0), (0, 0))
    if padding == "SAME":
        pairs = []
        for size, k, s in zip(input_size, kernel_size, strides, strict=True):
            total = max((-(-size // s) - 1) * s + k - size, 0)
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    return tuple(tuple(p) for p in padding)


class Conv(nn.Module):
    """A drop-in for `flax.linen.Conv` on NHWC images (same parameter names and shapes) built on `conv2d`.

    feature_group_count > 1 (AlexNet's two-GPU split) runs one `conv2d` per group, each group's outputs reading
    only its own slice of the input maps, exactly as grouped convolution does.
    """

    features: int
    kernel_size: Sequence[int]
    strides: int | Sequence[int] = 1
    padding: str | int | Sequence[tuple[int, int]] = "SAME"
    feature_group_count: int = 1
    use_bias: bool = True
    kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
    bias_init: nn.initializers.Initializer = nn.initializers.zeros

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel_size = tuple(self.kernel_size)
        strides = (self.strides,) * 2 if isinstance(self.strides, int) else tuple(self.strides)
        groups = self.feature_group_count
        if x.shape[-1] % groups or self.features % groups:
            raise ValueError(f"Conv: {x.shape[-1]} input and {self.features} output maps do not split into "
                             f"{groups} groups.")
        kernel = self.param("kernel", self.kernel_init, (*kernel_size, x.shape[-1] // groups, self.features))
        padding = explicit_padding(self.padding, x.shape[1:3], kernel_size, strides)
        if groups == 1:
            y = conv2d(x, kernel, strides, padding)
        else:
            xs = jnp.split(x, groups, axis=-1)
            ks = jnp.split(kernel, groups, axis=-1)
            y = jnp.concatenate([conv2d(a, k, strides, padding) for a, k in zip(xs, ks, strict=True)], axis=-1)
        if self.use_bias:
            y = y + self.param("bias", self.bias_init, (self.features,))
        return y
