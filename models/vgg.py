"""VGG: very deep convolutional networks with 3x3 filters.

K. Simonyan, A. Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015.
Table 1 (configurations A-E), Table 2 (parameter counts), section 2.1 (architecture), section 3.1 (training).
"""

import flax.linen as nn
import jax

from models.layers import Conv, get_activation
from models.layers.dropout import Dropout
from models.layers.local_response_norm import local_response_norm

# Table 1. An int is a 3x3 convolution with that many channels, ("1x1", c) a 1x1 convolution (configuration C),
# "M" a 2x2 max-pooling at stride 2, "LRN" local response normalisation (configuration A-LRN).
CONFIGURATIONS = {
    "A": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "A-LRN": (64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "B": (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "C": (64, 64, "M", 128, 128, "M", 256, 256, ("1x1", 256), "M", 512, 512, ("1x1", 512), "M",
          512, 512, ("1x1", 512), "M"),
    "D": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "E": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"),
}


class VGG(nn.Module):
    """Table 1: a stack of 3x3 convolutions (stride 1, padding 1) with ReLU and five 2x2 max-poolings, then
    FC-4096, FC-4096 (each followed by dropout 0.5, section 3.1) and FC-1000, on 224x224 inputs.

    Parameters (Table 2 rounds them to 133, 133, 133, 134, 138, 144 million): A and A-LRN 132,863,336;
    B 133,047,848; C 133,638,952; D 138,357,544; E 143,667,240.

    The common CIFAR-10 adaptation (not in the paper): batch_norm=True after every convolution, fc_widths=()
    so that the 1x1x512 map after the fifth pooling goes straight to the 10-way classifier.
    """

    configuration: str = "D"
    num_classes: int = 1000
    fc_widths: tuple[int, ...] = (4096, 4096)
    dropout_rate: float = 0.5
    batch_norm: bool = False
    activation: str = "relu"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        if self.configuration not in CONFIGURATIONS:
            raise ValueError(f"Unknown VGG configuration {self.configuration!r}; choose one of "
                             f"{sorted(CONFIGURATIONS)}.")
        act = get_activation(self.activation)
        for layer in CONFIGURATIONS[self.configuration]:
            if layer == "M":
                x = nn.max_pool(x, (2, 2), (2, 2))
            elif layer == "LRN":
                x = local_response_norm(x)  # AlexNet's constants (section 4.1: "parameters of [Krizhevsky]")
            else:
                kernel, features = (1, layer[1]) if isinstance(layer, tuple) else (3, layer)
                x = Conv(features, (kernel, kernel), padding=kernel // 2, use_bias=not self.batch_norm)(x)
                if self.batch_norm:
                    x = nn.BatchNorm(use_running_average=not train, momentum=0.9)(x)
                x = act(x)
        x = x.reshape(x.shape[0], -1)
        for width in self.fc_widths:
            x = Dropout(self.dropout_rate, deterministic=not train)(act(nn.Dense(width)(x)))
        return nn.Dense(self.num_classes)(x)
