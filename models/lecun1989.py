"""The zip-code network of LeCun et al. 1989 and its named modern variant.

Y. LeCun, B. Boser, J. S. Denker, D. Henderson, R. E. Howard, W. Hubbard, L. D. Jackel, "Backpropagation Applied
to Handwritten Zip Code Recognition", Neural Computation 1(4), 1989. Section 5 ("Network design") and Figure 3.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.layers import ConnectionTableConv, get_activation, get_initializer
from models.layers.dropout import Dropout

# Section 5: "each unit in H2 combines local information coming from 8 of the 12 different feature maps in H1".
# The paper does not print which 8. We use the block scheme of Karpathy's 2022 reproduction: maps 0-3 read H1
# maps 0-7, maps 4-7 read H1 maps 4-11, maps 8-11 read H1 maps 0-3 and 8-11 (every H1 map feeds 8 H2 maps).
H2_CONNECTIONS = (
    (tuple(range(0, 8)),) * 4 + (tuple(range(4, 12)),) * 4 + ((0, 1, 2, 3, 8, 9, 10, 11),) * 4
)


class LeCun1989(nn.Module):
    """LeCun et al. 1989, Figure 3: 16x16 input, H1 (12@8x8), H2 (12@4x4), H3 (30), 10 outputs.

    - H1: 12 feature maps of 8x8 units, 5x5 kernels at stride 2, weights shared within a map, one bias per unit
      (768 biases + 300 weights = 1,068 free parameters).
    - H2: 12 maps of 4x4 units, 5x5 kernels at stride 2 over 8 of the 12 H1 maps (`H2_CONNECTIONS`), one bias per
      unit (2,400 weights + 192 biases = 2,592).
    - H3: 30 units fully connected to H2 (5,790); output: 10 units fully connected to H3 (310).
    Total: 9,760 free parameters and 64,660 connections, as in section 5.

    Inputs are the 16x16 images scaled to [-1, 1]; the border added before each strided convolution takes the
    background value -1 (the paper: the input plane is "extended" so that every H1 unit has a full 5x5 field).
    Every unit uses the scaled hyperbolic tangent; the outputs are trained towards +-1 targets with mean-squared
    error (see `train/tasks/classification.py`, loss "mse_tanh_targets").

    The network is declared as a chain of weighted sums and squashings (CHAIN and the methods below, as
    `models.lenet5.LeNet5`), so the paper's own optimiser, a diagonal Levenberg-Marquardt method with
    back-propagated second derivatives (`train/sdlm.py`), can train it.
    """

    num_classes: int = 10
    activation: str = "scaled_tanh"
    initializer: str = "lecun_2.4_over_fan_in"

    def setup(self):
        init = get_initializer(self.initializer)
        self.act = get_activation(self.activation)

        def strided_conv(connections, num_outputs):  # the border comes from `connection_inputs`
            return ConnectionTableConv(connections, kernel_size=5, strides=2, unit_bias=True,
                                       num_outputs=num_outputs, kernel_init=init)

        self.H1 = strided_conv(None, 12)
        self.H2 = strided_conv(H2_CONNECTIONS, None)
        self.H3 = nn.Dense(30, kernel_init=init)
        self.output = nn.Dense(self.num_classes, kernel_init=init)

    # The trained layers in order, each followed by the squashing function.
    CHAIN = ("H1", "H2", "H3", "output")

    def connection_inputs(self, name: str, x: jax.Array) -> jax.Array:
        """What the weights of layer `name` multiply, given the layer's input x: for H1 and H2 x with its border
        of background (-1, two pixels on each side), for H3 x flattened, for the output x itself."""
        if name in ("H1", "H2"):
            return jnp.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)
        if name == "H3":
            return x.reshape(x.shape[0], -1)
        return x

    def weighted_sum(self, name: str, inputs: jax.Array) -> jax.Array:
        """Layer `name`'s weighted sums a (before the squashing function) of its `connection_inputs`."""
        return getattr(self, name)(inputs)

    def squash(self, a: jax.Array) -> jax.Array:
        return self.act(a)

    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:  # (batch, 16, 16, 1) -> (batch, 10)
        for name in self.CHAIN:
            x = self.act(self.weighted_sum(name, self.connection_inputs(name, x)))
        return x


class LeCun1989Modern(nn.Module):
    """A modern variant of `LeCun1989` (not in the paper): same maps, connection table and layer widths, but
    stride-1 convolutions followed by 2x2 max-pooling, ReLU, per-map biases, He initialisation, dropout before
    H3, and 10 logits for softmax cross-entropy. Train it with AdamW and random translations.

    `h1_maps` and `hidden_units` widen it (variant `lecun1989_modern_wide`: 24 and 64). With other than 12 maps
    the paper's H2 connection table does not apply, so every H1 map feeds every H2 map.
    """

    num_classes: int = 10
    h1_maps: int = 12
    hidden_units: int = 30
    dropout_rate: float = 0.25
    initializer: str = "he_normal"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        init = get_initializer(self.initializer)
        conv = ConnectionTableConv(None, 5, padding=2, pad_value=-1.0, num_outputs=self.h1_maps,
                                   kernel_init=init, name="H1")
        h1 = nn.max_pool(nn.relu(conv(x)), (2, 2), (2, 2))
        connections = H2_CONNECTIONS if self.h1_maps == 12 else None
        conv2 = ConnectionTableConv(connections, 5, padding=2, num_outputs=self.h1_maps,
                                    kernel_init=init, name="H2")
        h2 = nn.max_pool(nn.relu(conv2(h1)), (2, 2), (2, 2))
        h2 = Dropout(self.dropout_rate, deterministic=not train)(h2.reshape(h2.shape[0], -1))
        h3 = nn.relu(nn.Dense(self.hidden_units, kernel_init=init, name="H3")(h2))
        return nn.Dense(self.num_classes, name="output")(h3)
