"""LeNet-5 and its named modern variant.

Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-Based Learning Applied to Document Recognition",
Proceedings of the IEEE 86(11), 1998. Section II.B (LeNet-5), Table I (C3 connections), Figure 3 (RBF bitmaps),
Appendix A (squashing function, initialisation).
"""

import flax.linen as nn
import jax
import numpy as np

from models.layers import (
    ConnectionTableConv,
    Conv,
    EuclideanRBF,
    TrainableSubsampling,
    get_activation,
    get_initializer,
)
from models.layers.dropout import Dropout
from models.layers.subsampling import window_sums

# Table I: "the first six C3 feature maps take inputs from every contiguous subsets of three feature maps in S2.
# The next six take input from every contiguous subset of four. The next three take input from some
# discontinuous subsets of four. Finally, the last one takes input from all S2 feature maps."
C3_CONNECTIONS = (
    tuple(tuple((j + k) % 6 for k in range(3)) for j in range(6))
    + tuple(tuple((j + k) % 6 for k in range(4)) for j in range(6))
    + ((0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5))
    + (tuple(range(6)),)
)

# Figure 3: each output unit's prototype is a stylized 7x12 bitmap of its digit, +1 for ink and -1 for
# background. The paper prints the bitmaps only as a figure; these are our drawing of it in the same grid.
DIGIT_BITMAPS = {
    0: ["..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#.....#",
        "#.....#", "#.....#", "#.....#", ".#...#.", "..###..", "......."],
    1: ["...#...", "..##...", ".#.#...", "...#...", "...#...", "...#...",
        "...#...", "...#...", "...#...", "...#...", ".#####.", "......."],
    2: [".#####.", "#.....#", "......#", "......#", ".....#.", "....#..",
        "...#...", "..#....", ".#.....", "#......", "#######", "......."],
    3: [".#####.", "#.....#", "......#", "......#", "......#", "..####.",
        "......#", "......#", "......#", "#.....#", ".#####.", "......."],
    4: ["....#..", "...##..", "..#.#..", ".#..#..", "#...#..", "#...#..",
        "#######", "....#..", "....#..", "....#..", "....#..", "......."],
    5: ["#######", "#......", "#......", "#......", "######.", "......#",
        "......#", "......#", "......#", "#.....#", ".#####.", "......."],
    6: ["..####.", ".#.....", "#......", "#......", "######.", "#.....#",
        "#.....#", "#.....#", "#.....#", "#.....#", ".#####.", "......."],
    7: ["#######", "......#", ".....#.", ".....#.", "....#..", "....#..",
        "...#...", "...#...", "..#....", "..#....", "..#....", "......."],
    8: [".#####.", "#.....#", "#.....#", "#.....#", ".#####.", "#.....#",
        "#.....#", "#.....#", "#.....#", "#.....#", ".#####.", "......."],
    9: [".#####.", "#.....#", "#.....#", "#.....#", "#.....#", ".######",
        "......#", "......#", "......#", ".....#.", ".####..", "......."],
}


def digit_prototypes() -> np.ndarray:
    """(10, 84) array of +-1 prototype vectors, row-major over the 12x7 bitmaps."""
    rows = []
    for digit in range(10):
        bitmap = DIGIT_BITMAPS[digit]
        assert len(bitmap) == 12 and all(len(line) == 7 for line in bitmap), digit
        rows.append([1.0 if c == "#" else -1.0 for line in bitmap for c in line])
    return np.asarray(rows, np.float32)


class LeNet5(nn.Module):
    """LeNet-5 as in section II.B: 32x32 input, C1-S2-C3-S4-C5-F6 and a Euclidean RBF output.

    | layer | what | free parameters |
    |---|---|---|
    | C1 | 6 maps 28x28, 5x5 convolution | 156 |
    | S2 | 6 maps 14x14, 2x2 sum x trainable coefficient + trainable bias | 12 |
    | C3 | 16 maps 10x10, 5x5 convolution over the S2 maps of Table I | 1,516 |
    | S4 | 16 maps 5x5, as S2 | 32 |
    | C5 | 120 maps 1x1, 5x5 convolution over all S4 maps | 48,120 |
    | F6 | 84 units fully connected | 10,164 |
    | output | 10 Euclidean RBF units with fixed 7x12 bitmap prototypes (eq. 7) | 0 |

    60,000 trainable parameters in all, as the paper says. Every layer up to F6 is followed by the squashing
    function f(a) = 1.7159 tanh(2a/3); weights start U(-2.4/F, 2.4/F) (Appendix A; `configs/lenet5.py` starts them
    as the LeCun lab's EBLearn does, a named deviation that names why). The output is the RBF
    penalty y_i (small = likely), trained with the paper's criterion (loss "rbf_map", eq. 9).
    """

    activation: str = "scaled_tanh"
    initializer: str = "lecun_2.4_over_fan_in"
    subsampling_initializer: str = ""  # S2's and S4's coefficients; "": `initializer`, as the paper

    def setup(self):
        init = get_initializer(self.initializer)
        subsampling_init = get_initializer(self.subsampling_initializer or self.initializer)
        self.act = get_activation(self.activation)
        self.C1 = ConnectionTableConv(None, 5, num_outputs=6, kernel_init=init)
        self.S2 = TrainableSubsampling(coefficient_init=subsampling_init)
        self.C3 = ConnectionTableConv(C3_CONNECTIONS, 5, kernel_init=init)
        self.S4 = TrainableSubsampling(coefficient_init=subsampling_init)
        self.C5 = ConnectionTableConv(None, 5, num_outputs=120, kernel_init=init)
        self.F6 = nn.Dense(84, kernel_init=init)
        self.output = EuclideanRBF(digit_prototypes())

    # The trained layers in order, each followed by the squashing function: `features` runs this chain, and the
    # paper's curvature estimate (train/sdlm.py, Appendix C) back-propagates second derivatives through it.
    CHAIN = ("C1", "S2", "C3", "S4", "C5", "F6")

    def connection_inputs(self, name: str, x: jax.Array) -> jax.Array:
        """What the weights of layer `name` multiply, given the layer's input x: in S2 and S4 each window's sum
        (the coefficient multiplies the sum, II.B), in F6 x flattened, elsewhere x itself."""
        if name in ("S2", "S4"):
            return window_sums(x, getattr(self, name).window)
        if name == "F6":
            return x.reshape(x.shape[0], -1)
        return x

    def weighted_sum(self, name: str, inputs: jax.Array) -> jax.Array:
        """Layer `name`'s weighted sums a (before the squashing function) of its `connection_inputs`."""
        layer = getattr(self, name)
        return layer.weigh(inputs) if name in ("S2", "S4") else layer(inputs)

    def pre_activation(self, name: str, x: jax.Array) -> jax.Array:
        """The weighted sums a (before the squashing function) of layer `name` of the chain, given its input x."""
        return self.weighted_sum(name, self.connection_inputs(name, x))

    def squash(self, a: jax.Array) -> jax.Array:
        return self.act(a)

    def features(self, x: jax.Array, train: bool = False) -> jax.Array:
        """The F6 state (batch, 84) that the RBF units compare with their prototypes."""
        for name in self.CHAIN:
            x = self.act(self.pre_activation(name, x))
        return x

    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:  # (batch, 32, 32, 1) -> (batch, 10)
        return self.output(self.features(x, train))


class LeNet5Modern(nn.Module):
    """A modern variant of `LeNet5` (not in the paper): the same 6-16-120-84 widths, but ReLU, 2x2 max-pooling,
    a fully connected C3, He initialisation, dropout before the classifier and 10 logits for softmax
    cross-entropy. Train it with AdamW and random translations.
    """

    num_classes: int = 10
    dropout_rate: float = 0.25

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        init = nn.initializers.he_normal()
        x = nn.max_pool(nn.relu(Conv(6, (5, 5), padding="VALID", kernel_init=init, name="C1")(x)),
                        (2, 2), (2, 2))
        x = nn.max_pool(nn.relu(Conv(16, (5, 5), padding="VALID", kernel_init=init, name="C3")(x)),
                        (2, 2), (2, 2))
        x = nn.relu(Conv(120, (5, 5), padding="VALID", kernel_init=init, name="C5")(x))
        x = nn.relu(nn.Dense(84, kernel_init=init, name="F6")(x.reshape(x.shape[0], -1)))
        x = Dropout(self.dropout_rate, deterministic=not train)(x)
        return nn.Dense(self.num_classes, name="output")(x)
