"""Building blocks shared by several model families; each lives here once and is reused, never copied."""

from models.layers.activations import get_activation, scaled_tanh
from models.layers.connection_table_conv import ConnectionTableConv
from models.layers.conv import Conv, conv2d
from models.layers.initializers import get_initializer, uniform_over_fan_in
from models.layers.rbf import EuclideanRBF
from models.layers.subsampling import TrainableSubsampling

__all__ = [
    "Conv",
    "conv2d",
    "ConnectionTableConv",
    "EuclideanRBF",
    "TrainableSubsampling",
    "get_activation",
    "get_initializer",
    "scaled_tanh",
    "uniform_over_fan_in",
]
