"""Recurrent cells written from their equations.

Every cell splits one time step into two halves so that a layer can hoist the first out of the time loop:
  project_inputs(x) -> the input terms W x + b of every gate, for all time steps at once (one large matrix
                       product over (batch, time) instead of one small one per step);
  recur(carry, projected_t) -> (carry, h_t): what depends on h_{t-1}, run once per step inside the scan.
`cell(carry, x_t)` runs both halves for a single step (the plain step-by-step form the tests compare against).

Initialisation (not part of the equations): input kernels lecun_normal, recurrent kernels orthogonal, biases zero
except the LSTM's forget gate, which starts at `forget_bias` = 1 so that the cell remembers by default (Gers et al.
2000, section 2; Jozefowicz et al. 2015, section 2.2).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.layers.lstm_recurrence import lstm_layer

sigmoid, tanh = jax.nn.sigmoid, jnp.tanh


class _Cell(nn.Module):
    features: int
    kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
    recurrent_kernel_init: nn.initializers.Initializer = nn.initializers.orthogonal()

    def initial_carry(self, batch_shape: tuple[int, ...], dtype=jnp.float32):
        return jnp.zeros((*batch_shape, self.features), dtype)

    def hidden(self, carry) -> jax.Array:
        """h_t, the part of the carry the layer above sees."""
        return carry

    def with_hidden(self, carry, h):
        """`carry` with h_t replaced by `h`."""
        return h

    def __call__(self, carry, x):
        return self.recur(carry, self.project_inputs(x))

    def _input(self, use_bias: bool = True, bias_init=nn.initializers.zeros, width: int = 0) -> nn.Dense:
        return nn.Dense(width or self.features, use_bias=use_bias, kernel_init=self.kernel_init,
                        bias_init=bias_init)

    def _recurrent(self, use_bias: bool = False, init=None, width: int = 0) -> nn.Dense:
        return nn.Dense(width or self.features, use_bias=use_bias, kernel_init=init or self.recurrent_kernel_init)


class ElmanCell(_Cell):
    """Elman (1990), "Finding structure in time", section 2: the simple recurrent network,
    h_t = tanh(W x_t + U h_{t-1} + b). Same definition as flax's `nn.SimpleCell` (tested equal)."""

    def setup(self):
        self.W, self.U = self._input(), self._recurrent()

    def project_inputs(self, x):
        return self.W(x)

    def recur(self, h, wx):
        h = tanh(wx + self.U(h))
        return h, h


class LSTMCell(_Cell):
    """The LSTM exactly as the sequence deck writes it (Hochreiter & Schmidhuber 1997, with the forget gate of
    Gers et al. 2000), one named parameter per term:

      f_t  = sigma(W_f x_t + U_f h_{t-1} + b_f)
      i_t  = sigma(W_i x_t + U_i h_{t-1} + b_i)
      c'_t = tanh(W_c x_t + U_c h_{t-1})           (+ b_c when candidate_bias: the usual form, e.g. flax, PyTorch)
      c_t  = f_t c_{t-1} + i_t c'_t
      o_t  = sigma(W_o x_t + U_o h_{t-1} + b_o)
      h_t  = o_t tanh(c_t)

    The carry is (c, h). `FusedLSTMCell` is the same function with one matrix product for all four gates."""

    candidate_bias: bool = False
    forget_bias: float = 1.0

    def initial_carry(self, batch_shape, dtype=jnp.float32):
        zeros = jnp.zeros((*batch_shape, self.features), dtype)
        return zeros, zeros

    def hidden(self, carry):
        return carry[1]

    def with_hidden(self, carry, h):
        return carry[0], h

    def setup(self):
        self.W_f = self._input(bias_init=nn.initializers.constant(self.forget_bias))
        self.W_i, self.W_c, self.W_o = self._input(), self._input(use_bias=self.candidate_bias), self._input()
        self.U_f, self.U_i, self.U_c, self.U_o = (self._recurrent() for _ in range(4))

    def project_inputs(self, x):
        return {"f": self.W_f(x), "i": self.W_i(x), "c": self.W_c(x), "o": self.W_o(x)}

    def recur(self, carry, wx):
        c, h = carry
        f = sigmoid(wx["f"] + self.U_f(h))
        i = sigmoid(wx["i"] + self.U_i(h))
        c_candidate = tanh(wx["c"] + self.U_c(h))
        c = f * c + i * c_candidate
        o = sigmoid(wx["o"] + self.U_o(h))
        h = o * tanh(c)
        return (c, h), h


GATES = ("f", "i", "c", "o")  # the order of the gates' blocks in FusedLSTMCell's kernels


class _InputKernel(nn.Module):
    """The (in, width) kernel of a bias-free `nn.Dense`, under the same name ("kernel") and initialised the same
    way, for a cell that multiplies it itself."""

    width: int
    init: nn.initializers.Initializer

    @nn.compact
    def __call__(self, in_features: int) -> jax.Array:
        return self.param("kernel", self.init, (in_features, self.width))


class FusedLSTMCell(LSTMCell):
    """`LSTMCell` with the four gates' kernels side by side: W (in, 4H), U (H, 4H), b (4H) in the order
    f, i, c, o, so a step is one matrix product (tested equal to `LSTMCell` with the same weights). Without
    `candidate_bias` the candidate's block of b is held at zero.

    `scan_inputs` runs the whole layer, input products included, with a hand-written backward pass (see
    `lstm_recurrence`); the recurrent layer uses it in place of scanning `recur`."""

    def setup(self):
        def bias_init(rng, shape, dtype=jnp.float32):
            forget = jnp.full((self.features,), self.forget_bias, dtype)
            return jnp.concatenate([forget, jnp.zeros((shape[0] - self.features,), dtype)])

        self.W = _InputKernel(4 * self.features, self.kernel_init)
        self.b = self.param("b", bias_init, (4 * self.features,))
        self.U = self.param("U", _blockwise(self.recurrent_kernel_init, 4), (self.features, 4 * self.features))

    def _bias(self):
        if self.candidate_bias:
            return self.b
        return self.b * jnp.repeat(jnp.array([1.0, 1.0, 0.0, 1.0], self.b.dtype), self.features)

    def project_inputs(self, x):
        return x @ self.W(x.shape[-1]) + self._bias()

    def recur(self, carry, wx):
        c, h = carry
        f, i, c_candidate, o = jnp.split(wx + h @ self.U, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * tanh(c_candidate)
        h = sigmoid(o) * tanh(c)
        return (c, h), h

    def scan_inputs(self, carry, x, mask=None, unroll: int = 1):
        """(final carry, outputs (time, batch, H)) for time-major inputs x (time, batch, in); mask (time, batch)."""
        return lstm_layer(x, self.W(x.shape[-1]), self._bias(), self.U, *carry, mask, unroll)


class GRUCell(_Cell):
    """Gated recurrent unit, Cho et al. (2014), section 2.3, eqs. 5-8:

      r_t  = sigma(W_r x_t + U_r h_{t-1} + b_r)        (reset gate)
      z_t  = sigma(W_z x_t + U_z h_{t-1} + b_z)        (update gate)
      h'_t = tanh(W x_t + U (r_t * h_{t-1}) + b)
      h_t  = z_t h_{t-1} + (1 - z_t) h'_t

    `reset_after=True` is the cuDNN form that flax's `nn.GRUCell` and PyTorch use instead,
    h'_t = tanh(W x_t + b + r_t * (U h_{t-1} + b_U)): the reset gate scales U h rather than h, which lets U h be
    computed together with the gates' products (tested equal to flax's cell)."""

    reset_after: bool = False

    def setup(self):
        self.W_r, self.W_z, self.W = self._input(), self._input(), self._input()
        self.U_r, self.U_z, self.U = self._recurrent(), self._recurrent(), self._recurrent(use_bias=self.reset_after)

    def project_inputs(self, x):
        return {"r": self.W_r(x), "z": self.W_z(x), "h": self.W(x)}

    def recur(self, h, wx):
        r = sigmoid(wx["r"] + self.U_r(h))
        z = sigmoid(wx["z"] + self.U_z(h))
        if self.reset_after:
            candidate = tanh(wx["h"] + r * self.U(h))
        else:
            candidate = tanh(wx["h"] + self.U(r * h))
        h = z * h + (1.0 - z) * candidate
        return h, h


def _blockwise(init, blocks: int):
    """Initialises a (H, blocks * H) kernel as `blocks` independent (H, H) ones (one orthogonal matrix per gate,
    as the unfused cell has)."""

    def block_init(rng, shape, dtype=jnp.float32):
        width = shape[-1] // blocks
        keys = jax.random.split(rng, blocks)
        return jnp.concatenate([init(k, (*shape[:-1], width), dtype) for k in keys], axis=-1)

    return block_init


CELLS = {"rnn": ElmanCell, "lstm": LSTMCell, "fused_lstm": FusedLSTMCell, "gru": GRUCell}


def get_cell(name: str) -> type[_Cell]:
    if name not in CELLS:
        raise ValueError(f"Unknown recurrent cell {name!r}; choose one of {sorted(CELLS)}.")
    return CELLS[name]
