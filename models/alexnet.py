"""AlexNet and the four-layer network of its Figure 1.

A. Krizhevsky, I. Sutskever, G. E. Hinton, "ImageNet Classification with Deep Convolutional Neural Networks",
NIPS 2012. Section 3 (ReLU 3.1, two GPUs 3.2, local response normalisation 3.3, overlapping pooling 3.4,
architecture 3.5 and Figure 2), section 4.2 (dropout), section 5 (initialisation).
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.layers import Conv, get_activation
from models.layers.dropout import Dropout
from models.layers.local_response_norm import local_response_norm


def max_pool(x: jax.Array, overlapping: bool) -> jax.Array:
    """Section 3.4: 3x3 windows at stride 2 ("overlapping pooling"); the non-overlapping ablation uses 2x2 at
    stride 2, which gives the same output sizes here (55 -> 27 -> 13 -> 6)."""
    window = 3 if overlapping else 2
    return nn.max_pool(x, (window, window), (2, 2))


def grouped_lrn(x: jax.Array, groups: int) -> jax.Array:
    """LRN within each GPU's half of the maps when the network is split over `groups` GPUs (section 3.3 sums
    over adjacent kernel maps; each GPU only holds its own)."""
    if groups == 1:
        return local_response_norm(x)
    split = x.reshape(*x.shape[:-1], groups, x.shape[-1] // groups)
    return jnp.swapaxes(local_response_norm(jnp.swapaxes(split, -1, -2)), -1, -2).reshape(x.shape)


class AlexNet(nn.Module):
    """Section 3.5 and Figure 2: five convolutional layers and three fully connected ones.

    conv1 96@11x11/4 -> LRN -> pool; conv2 256@5x5 -> LRN -> pool; conv3 384@3x3; conv4 384@3x3; conv5 256@3x3
    -> pool; FC 4096 -> FC 4096 -> FC 1000, with dropout 0.5 on the outputs of the first two FC layers
    (section 4.2: "We use dropout in the first two fully-connected layers"). Input 227x227x3: the paper writes
    224, but only 227 gives its 55x55 conv1 maps with an 11x11 kernel at stride 4 and no padding.

    two_gpu (section 3.2): conv2, conv4 and conv5 see only the maps on their own GPU (feature groups of 2),
    conv3 and the FC layers see all; 60,965,224 parameters (the paper: "60 million"). One group: 62,378,344.
    Initialisation (section 5): weights N(0, 0.01^2); biases 1 in conv2, conv4, conv5 and the FC layers, 0
    elsewhere.

    Ablation knobs: activation (relu / tanh), lrn, overlapping_pool, dropout_rate (0 = off), batch_norm (after
    every convolution; not in the paper).
    """

    num_classes: int = 1000
    two_gpu: bool = True
    activation: str = "relu"
    lrn: bool = True
    overlapping_pool: bool = True
    dropout_rate: float = 0.5
    batch_norm: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        act = get_activation(self.activation)
        groups = 2 if self.two_gpu else 1
        weights = nn.initializers.normal(0.01)

        def conv(x, features, kernel, stride, padding, grouped, bias_one, name):
            x = Conv(
                features, (kernel, kernel), stride, padding=padding, feature_group_count=groups if grouped else 1,
                kernel_init=weights, bias_init=nn.initializers.constant(1.0 if bias_one else 0.0), name=name,
            )(x)
            if self.batch_norm:
                x = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=f"{name}_bn")(x)
            return act(x)

        x = conv(x, 96, 11, 4, "VALID", False, False, "conv1")
        x = grouped_lrn(x, groups) if self.lrn else x
        x = max_pool(x, self.overlapping_pool)
        x = conv(x, 256, 5, 1, 2, True, True, "conv2")
        x = grouped_lrn(x, groups) if self.lrn else x
        x = max_pool(x, self.overlapping_pool)
        x = conv(x, 384, 3, 1, 1, False, False, "conv3")
        x = conv(x, 384, 3, 1, 1, True, True, "conv4")
        x = conv(x, 256, 3, 1, 1, True, True, "conv5")
        x = max_pool(x, self.overlapping_pool).reshape(x.shape[0], -1)
        for i in (6, 7):
            x = act(nn.Dense(4096, kernel_init=weights, bias_init=nn.initializers.ones, name=f"fc{i}")(x))
            x = Dropout(self.dropout_rate, deterministic=not train)(x)
        return nn.Dense(self.num_classes, kernel_init=weights, bias_init=nn.initializers.ones, name="fc8")(x)


class FourLayerCNN(nn.Module):
    """The network of Figure 1 ("a four-layer convolutional neural network with ReLUs reaches a 25% training
    error rate on CIFAR-10 six times faster than an equivalent network with tanh neurons").

    The paper does not print it. We use the four-layer (three convolutions, one softmax layer) CIFAR-10 net of
    the authors' cuda-convnet, example-layers/layers-18pct.cfg without its two normalisation layers: conv 32@5x5
    -> pool 3/2 -> conv 32@5x5 -> pool 3/2 -> conv 64@5x5 -> pool 3/2 -> FC 10; 89,578 parameters. That file
    max-pools after conv1 and average-pools after conv2 and conv3 (`later_pool="avg"`); ours max-pools in all
    three by default, as AlexNet does. Same initialisation for both activations: LeCun normal by default, or
    with `init_std` > 0 every weight from N(0, init_std^2) (section 5 gives 0.01 for AlexNet); biases zero.
    `conv1_init_std` > 0 draws the first layer's weights from N(0, conv1_init_std^2) instead: layers-18pct.cfg
    gives conv1 `initW=0.0001` and every other layer 0.01, for its raw-scale (0-255, mean subtracted) inputs.
    No regularisation, as in the figure. The knobs match `AlexNet`'s; `lrn` normalises conv1's and conv2's
    activations before their pooling, where AlexNet puts it, as does cuda-convnet's layers-conv-local-11pct.cfg
    (most likely the net of section 3.3's CIFAR-10 figure, 11% with normalisation against 13% without: its
    layers-conv-local-13pct.cfg is the same net without the two normalisation layers).
    """

    num_classes: int = 10
    activation: str = "relu"
    lrn: bool = False
    overlapping_pool: bool = True
    dropout_rate: float = 0.0
    batch_norm: bool = False
    init_std: float = 0.0  # 0: LeCun normal (fan-in scaled)
    conv1_init_std: float = 0.0  # 0: as the other layers
    later_pool: str = "max"  # pooling after conv2 and conv3: "max" or "avg" (cuda-convnet's)

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        act = get_activation(self.activation)
        weights = nn.initializers.normal(self.init_std) if self.init_std else nn.initializers.lecun_normal()
        first_weights = nn.initializers.normal(self.conv1_init_std) if self.conv1_init_std else weights
        for i, features in enumerate((32, 32, 64)):
            x = Conv(features, (5, 5), padding=2, kernel_init=first_weights if i == 0 else weights,
                     name=f"conv{i + 1}")(x)
            if self.batch_norm:
                x = nn.BatchNorm(use_running_average=not train, momentum=0.9, name=f"conv{i + 1}_bn")(x)
            x = act(x)
            # AlexNet's place for LRN (section 3.5: "Response-normalization layers follow the first and second
            # convolutional layers. Max-pooling layers ... follow both response-normalization layers").
            x = local_response_norm(x) if self.lrn and i < 2 else x
            x = self._pool(x, "max" if i == 0 else self.later_pool)
        x = Dropout(self.dropout_rate, deterministic=not train)(x.reshape(x.shape[0], -1))
        return nn.Dense(self.num_classes, kernel_init=weights, name="output")(x)

    def _pool(self, x: jax.Array, kind: str) -> jax.Array:
        window = (3, 3) if self.overlapping_pool else (2, 2)
        if kind == "max":
            return nn.max_pool(x, window, (2, 2), padding="SAME")
        if kind == "avg":  # cuda-convnet averages over the window's pixels inside the image
            return nn.avg_pool(x, window, (2, 2), padding="SAME", count_include_pad=False)
        raise ValueError(f"four_layer_cnn: unknown later_pool {kind!r}; choose 'max' or 'avg'")
