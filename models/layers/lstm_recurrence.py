"""A fused LSTM layer as one differentiable function with a hand-written backward pass.

`lstm_layer` takes the raw inputs and all three weights, so its backward pass owns every product:
- Autodiff of a scan accumulates the recurrent kernel's gradient dU = sum_t h_{t-1}^T dz_t inside the backward
  loop, one small (H x B) @ (B x 4H) product per step. Here the backward loop computes only what truly recurs
  (dz_t and dh_{t-1} = dz_t U^T, dc_{t-1} = dc_t f_t), and dU and dW are one large product each over all steps
  afterwards, as cuDNN and PyTorch do.
- Both weight gradients contract over (time, batch) with dz (T, B, 4H) in the layout the loop wrote it. Left to
  autodiff of a separate input projection, XLA:CPU transposed dz twice per training step (two 16 MB copies at
  hidden 256, batch 64, 64 steps) to suit its products; written as x^T dz and h^T dz on the (T * B, .) views,
  nothing that wide is copied.
- Inside both loops the gates are computed full width, (B, 4H) at once, with the candidate's block picked by a
  column mask, instead of four (B, H) blocks joined by a concatenation: fewer, larger fused kernels per step.
- The bias is added inside the forward loop, where it fuses into the activation, instead of in a pass of its
  own over every step's input products (16 MB at the benchmark's shapes) before the loop.
Each measured in benchmarks/lstm_jax.py (docs/speed.md). Tested equal (values and gradients) to autodiff of
`FusedLSTMCell.recur` in a scan.
"""

import functools

import jax
import jax.numpy as jnp


def _is_candidate(width: int) -> jax.Array:
    """(4H,) True on the candidate c'_t's block of the gates (f, i, c, o)."""
    return jnp.arange(width) // (width // 4) == 2


def _forward(wx, b, U, c0, h0, mask, unroll):
    """wx (T, B, 4H) time-major input products x_t W (f, i, c, o blocks; the loop adds b), mask (T, B) or None."""

    def step(carry, inputs):
        c, h = carry
        wx_t, mask_t = inputs
        z = wx_t + h @ U + b
        gates = jnp.where(_is_candidate(z.shape[-1]), jnp.tanh(z), jax.nn.sigmoid(z))
        f, i, g, o = jnp.split(gates, 4, axis=-1)
        c_new = f * c + i * g
        h_new = o * jnp.tanh(c_new)
        if mask_t is not None:
            keep = mask_t[:, None]
            c_new, h_new = jnp.where(keep, c_new, c), jnp.where(keep, h_new, h)
        return (c_new, h_new), (h_new, c_new, gates)

    (c, h), (hs, cs, gates) = jax.lax.scan(step, (c0, h0), (wx, mask), unroll=unroll)
    return (c, h), hs, cs, gates


def _input_products(x, W):
    return jnp.einsum("tbf,fg->tbg", x, W)


@functools.partial(jax.custom_vjp, nondiff_argnums=(7,))
def lstm_layer(x, W, b, U, c0, h0, mask, unroll=1):
    """((c_T, h_T), hs (T, B, H)): the fused LSTM over time-major inputs x (T, B, F) from (c0, h0), with input
    kernel W (F, 4H), bias b (4H) and recurrent kernel U (H, 4H), gate blocks in the order f, i, c, o. Masked
    steps (mask (T, B) 0) keep the carry; their entry of hs repeats the carried h (the layer zeroes it).
    `unroll`: steps per scan iteration."""
    (c, h), hs, _, _ = _forward(_input_products(x, W), b, U, c0, h0, mask, unroll)
    return (c, h), hs


def _fwd(x, W, b, U, c0, h0, mask, unroll):
    (c, h), hs, cs, gates = _forward(_input_products(x, W), b, U, c0, h0, mask, unroll)
    return ((c, h), hs), (x, W, U, c0, h0, hs, cs, gates, mask)


def _bwd(unroll, residuals, cotangents):
    x, W, U, c0, h0, hs, cs, gates, mask = residuals
    (dc, dh), dhs = cotangents
    c_prev = jnp.concatenate([c0[None], cs[:-1]], axis=0)
    h_prev = jnp.concatenate([h0[None], hs[:-1]], axis=0)

    def step(carry, inputs):
        dc, dh = carry
        dh_out, gates_t, c_t, c_prev_t, mask_t = inputs
        dh = dh + dh_out
        f, i, g, o = jnp.split(gates_t, 4, axis=-1)
        tanh_c = jnp.tanh(c_t)
        dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)
        # dz = d(loss)/d(pre-activations), blocks f, i, c, o: (dc c_{t-1}, dc c', dc i, dh tanh c) times the
        # activation's derivative (sigma' = s (1 - s), tanh' = 1 - t^2), all four blocks in one expression.
        derivative = jnp.where(_is_candidate(gates_t.shape[-1]), 1.0 - gates_t * gates_t, gates_t * (1.0 - gates_t))
        dz = (jnp.concatenate([dc_total, dc_total, dc_total, dh], axis=-1)
              * jnp.concatenate([c_prev_t, g, i, tanh_c], axis=-1) * derivative)
        dc_prev, dh_prev = dc_total * f, dz @ U.T
        if mask_t is not None:  # a masked step passed the carry through untouched
            keep = mask_t[:, None]
            dz = jnp.where(keep, dz, 0.0)
            dc_prev, dh_prev = jnp.where(keep, dc_prev, dc), jnp.where(keep, dh_prev, dh)
        return (dc_prev, dh_prev), dz

    (dc0, dh0), dzs = jax.lax.scan(step, (dc, dh), (dhs, gates, cs, c_prev, mask), reverse=True, unroll=unroll)
    steps, batch, width = dzs.shape
    dz = dzs.reshape(steps * batch, width)  # (time, batch) flattened in the order the loop wrote them
    dW = x.reshape(steps * batch, -1).T @ dz  # one product over all steps each
    dU = h_prev.reshape(steps * batch, -1).T @ dz
    dx = (dz @ W.T).reshape(x.shape)  # dropped by XLA where x is data
    return dx, dW, dzs.sum((0, 1)), dU, dc0, dh0, None  # the mask is not differentiable


lstm_layer.defvjp(_fwd, _bwd)
