"""Convolution in which each output map reads only some input maps, with exactly the paper's free parameters.

LeCun et al. 1989 (H2: each of 12 maps reads 8 of the 12 H1 maps) and LeCun et al. 1998 (C3, Table I) break the
symmetry between feature maps this way. We store only the connected 5x5 kernels (so parameter counts match the
papers exactly) and scatter them into a dense, zero-filled kernel so the layer still runs as one convolution.

That convolution is computed as im2col: every receptive field laid out as a row, then one matrix product. These
layers run per example (batch 1) in the papers' recipes, where XLA:CPU's convolution call and its two backward
convolutions cost more than the arithmetic: the LeCun 1989 and LeNet-5 per-example steps ran 1.5-2.2x as fast
this way, and for strided convolutions strided slices and a hand-written backward pass took the LeCun 1989 step
from 53 to 35 us (docs/speed.md). Tested equal to `lax.conv_general_dilated`, values and gradients.
"""

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from models.layers.initializers import uniform_over_fan_in


class ConnectionTableConv(nn.Module):
    """A 2-D convolution with a connection table and per-map or per-unit biases.

    Attributes:
      connections: for each output map, the input maps it reads; None connects every input to every output.
      kernel_size: square kernel side.
      strides: square stride.
      padding: border added on every side before the convolution (the papers' "extended" input).
      pad_value: value of that border (LeCun 1989 extends the image with its background value, -1).
      unit_bias: True gives every output unit its own bias (LeCun 1989: "biases are not shared"), False one bias
        per map (LeNet-5).
      num_outputs: number of output maps when `connections` is None.
      kernel_init: an initialiser from `models.layers.initializers` (called with the per-connection fan-in).
    """

    connections: Sequence[Sequence[int]] | None
    kernel_size: int
    strides: int = 1
    padding: int = 0
    pad_value: float = 0.0
    unit_bias: bool = False
    num_outputs: int | None = None
    kernel_init: object = uniform_over_fan_in()

    def _table(self, num_inputs: int) -> tuple[np.ndarray, np.ndarray]:
        """(input map, output map) index of every connection, as static numpy arrays."""
        if self.connections is None:
            if self.num_outputs is None:
                raise ValueError("ConnectionTableConv needs `connections` or `num_outputs`.")
            table = [list(range(num_inputs))] * self.num_outputs
        else:
            table = self.connections
        inputs = [i for row in table for i in row]
        if min(inputs) < 0 or max(inputs) >= num_inputs:
            raise ValueError(f"Connection table names input maps outside 0..{num_inputs - 1}: {table}")
        outputs = [o for o, row in enumerate(table) for _ in row]
        return np.asarray(inputs), np.asarray(outputs)

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:  # x: (batch, height, width, maps)
        in_idx, out_idx = self._table(x.shape[-1])
        num_outputs = int(out_idx.max()) + 1
        k = self.kernel_size
        fan_in = k * k * np.bincount(out_idx)[out_idx]  # each connection initialised by its output unit's fan-in
        kernel = self.param(
            "kernel",
            lambda key, shape: self.kernel_init(key, shape, fan_in=fan_in),
            (k, k, len(in_idx)),
        )
        if self.connections is None:  # every map reads every input, stored output-major: a transpose, no scatter
            dense = kernel.reshape(k, k, num_outputs, x.shape[-1]).swapaxes(2, 3)
        else:
            dense = jnp.zeros((k, k, x.shape[-1], num_outputs), kernel.dtype)
            dense = dense.at[:, :, in_idx, out_idx].set(kernel)
        if self.padding:
            p = self.padding
            x = jnp.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=self.pad_value)
        y = _convolve_by_patches(x, dense, self.strides)
        bias_shape = y.shape[1:] if self.unit_bias else (num_outputs,)
        return y + self.param("bias", nn.initializers.zeros, bias_shape)


def _convolve_by_patches(x: jax.Array, kernel: jax.Array, stride: int) -> jax.Array:
    """VALID convolution of x (batch, height, width, maps) with an HWIO kernel at `stride`, as im2col: every
    receptive field laid out as a row, then one matrix product over (row, column, map) of the field.

    At stride 1 this is a gather with static indices and autodiff does the rest. Strided convolutions (LeCun
    1989's H1 and H2) take `_strided_convolve_by_patches`, measured faster there and slower at stride 1
    (docs/speed.md); its backward pass is written by hand, so forward-mode differentiation (`jax.jvp`) does not
    apply to it, while `jax.grad` and `jax.vmap` do.
    """
    batch, height, width, maps = x.shape
    k = kernel.shape[0]
    out_h, out_w = (height - k) // stride + 1, (width - k) // stride + 1
    rows = stride * np.arange(out_h)[:, None, None, None] + np.arange(k)[None, None, :, None]
    cols = stride * np.arange(out_w)[None, :, None, None] + np.arange(k)[None, None, None, :]
    fields = (rows * width + cols).reshape(-1)  # flat input pixel of every (output unit, kernel offset)
    weights = kernel.reshape(k * k * maps, -1)
    if stride == 1:
        y = _gather_patches(x, fields, k * k * maps) @ weights
    else:
        y = _strided_convolve_by_patches(x, weights, fields, k, stride, (out_h, out_w))
    return y.reshape(batch, out_h, out_w, -1)


def _gather_patches(x: jax.Array, fields: np.ndarray, field_size: int) -> jax.Array:
    """Every receptive field of x (batch, height, width, maps) as a row of `field_size` values, by one gather of
    the flat input pixels `fields` (static indices)."""
    batch, height, width, maps = x.shape
    return x.reshape(batch, height * width, maps)[:, fields].reshape(-1, field_size)


def _strided_convolve_by_patches(x, weights, fields, k, stride, out_shape):
    """`patches @ weights` for a strided convolution, the patches taken by one strided slice per kernel offset.

    Measured on XLA:CPU, LeCun 1989's per-example step (a bare loop of it): 53 us with autodiff of the gather,
    35 us this way. Two changes make the difference. Slices fuse into cheaper loops than the gather. And autodiff
    writes both gradients as matrix products with a transposed operand (patches^T @ dy, dy @ weights^T), which
    XLA:CPU runs several times slower than plain ones at these sizes; the hand-written backward pass transposes
    the small operands explicitly, and its barriers keep XLA from folding those transposes back into the products.
    Only the differentiated pass slices; evaluation gathers (below).
    """
    batch, height, width, maps = x.shape
    out_h, out_w = out_shape
    span_h, span_w = stride * (out_h - 1) + 1, stride * (out_w - 1) + 1

    def slice_patches(x):
        offsets = [x[:, i:i + span_h:stride, j:j + span_w:stride] for i in range(k) for j in range(k)]
        return jnp.stack(offsets, axis=3).reshape(batch * out_h * out_w, k * k * maps)

    @jax.custom_vjp
    def convolve(x, weights):
        # Undifferentiated (evaluation, inference), the gather: the same patches and products, and it compiles
        # much faster, since XLA:CPU makes each of the 25 slices a kernel of its own (LeCun 1989's forward pass:
        # 0.3 against 1.2 s).
        return _gather_patches(x, fields, k * k * maps) @ weights

    def forward(x, weights):
        patches = slice_patches(x)
        return patches @ weights, (patches, weights)

    def backward(residuals, dy):
        patches, weights = residuals
        barrier = jax.lax.optimization_barrier
        d_weights = barrier(barrier(dy.T) @ patches).T
        d_patches = (dy @ barrier(weights.T)).reshape(batch, -1, maps)
        d_x = jnp.zeros((batch, height * width, maps), patches.dtype).at[:, fields].add(d_patches)
        return d_x.reshape(x.shape), d_weights

    convolve.defvjp(forward, backward)
    return convolve(x, weights)
