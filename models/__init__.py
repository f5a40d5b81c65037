"""Model registry: an explicit `name -> linen Module class` table, named variants of those classes (a depth, a
configuration), and one `build(model_config)`."""

import dataclasses
from collections.abc import Mapping

import flax.linen as nn

from models.alexnet import AlexNet, FourLayerCNN
from models.crnn import CRNN
from models.lecun1989 import LeCun1989, LeCun1989Modern
from models.lenet5 import LeNet5, LeNet5Modern
from models.mlp import MLP
from models.resnet import IMAGENET_DEPTHS, CifarResNet, ResNet
from models.seq2seq import RNNEncoderDecoder
from models.sequence_shapes import ManyToManyAligned, ManyToOne, OneToMany, OneToOne
from models.transformer import Transformer
from models.vgg import VGG
from models.vit import VARIANTS as VIT_SIZES
from models.vit import ViT

MODELS: dict[str, type[nn.Module]] = {
    "lecun1989": LeCun1989,
    "lecun1989_modern": LeCun1989Modern,
    "lenet5": LeNet5,
    "lenet5_modern": LeNet5Modern,
    "mlp": MLP,
    "alexnet": AlexNet,
    "four_layer_cnn": FourLayerCNN,
    "vgg": VGG,
    "resnet": ResNet,
    "cifar_resnet": CifarResNet,
    "one_to_one": OneToOne,
    "many_to_one": ManyToOne,
    "one_to_many": OneToMany,
    "many_to_many_aligned": ManyToManyAligned,
    "crnn": CRNN,
    "transformer": Transformer,
    "rnn_encoder_decoder": RNNEncoderDecoder,
    "vit": ViT,
}

# Named variants: name -> (registered model, field values). `configs.base.model_config("resnet56")` expands one
# into the model's name and all its fields, so a config always records exactly what was built.
VARIANTS: dict[str, tuple[str, dict]] = {
    **{f"vgg{depth}{suffix}": ("vgg", {"configuration": c}) for depth, suffix, c in (
        (11, "", "A"), (11, "_lrn", "A-LRN"), (13, "", "B"), (16, "_1x1", "C"), (16, "", "D"), (19, "", "E"))},
    **{f"{kind}{depth}": ("resnet", {"depth": depth, "shortcuts": kind == "resnet"})
       for depth in IMAGENET_DEPTHS for kind in ("resnet", "plain")},
    **{f"cifar_{kind}{depth}": ("cifar_resnet", {"depth": depth, "shortcuts": kind == "resnet"})
       for depth in (20, 32, 44, 56, 110, 1202) for kind in ("resnet", "plain")},
    # Dosovitskiy et al. 2021, Table 1 (Ti and S from DeiT): vit_b16 is ViT-B with 16x16 patches.
    **{f"vit_{size}{patch}": ("vit", {"patch_size": patch, **VIT_SIZES[size]})
       for size, patch in (("ti", 16), ("s", 16), ("s", 32), ("b", 16), ("b", 32), ("l", 16), ("l", 32), ("h", 14))},
    # Twice the 1989 maps (24, every H1 map feeding every H2 map) and 64 hidden units (configs/lecun1989_modern.py).
    "lecun1989_modern_wide": ("lecun1989_modern", {"h1_maps": 24, "hidden_units": 64}),
    # A quarter of CRNN's widths and half its LSTM units, for ten digits on a 2-core CPU (configs/zip_codes.py).
    "crnn_small": ("crnn", {"num_classes": 10, "widths": (16, 32, 64, 64, 128, 128, 128), "lstm_features": 128}),
}


def resolve(name: str) -> tuple[str, dict]:
    """(registered model name, variant field values) for a model or variant name; a clear error otherwise."""
    if name in MODELS:
        return name, {}
    if name in VARIANTS:
        return VARIANTS[name]
    raise ValueError(f"Unknown model {name!r}; registered models: {sorted(MODELS)}; variants: {sorted(VARIANTS)}.")


def _hashable(value):
    """Config lists become tuples: linen module attributes should be immutable."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


def build(model_config: Mapping) -> nn.Module:
    """Instantiates `model_config.name` with the remaining fields as module attributes."""
    fields = dict(model_config)
    name, variant_fields = resolve(fields.pop("name", None))
    fields = {**variant_fields, **fields}
    cls = MODELS[name]
    valid = {f.name for f in dataclasses.fields(cls) if f.init and f.name not in ("parent", "name")}
    unknown = sorted(set(fields) - valid)
    if unknown:
        raise ValueError(f"Model {name!r} has no field(s) {unknown}; its fields are {sorted(valid)}.")
    return cls(**{k: _hashable(v) for k, v in fields.items()})
