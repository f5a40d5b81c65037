"""Model registry: an explicit `name -> linen Module class` table and one `build(model_config)`."""

import dataclasses
from collections.abc import Mapping

import flax.linen as nn

from models.lecun1989 import LeCun1989, LeCun1989Modern
from models.lenet5 import LeNet5, LeNet5Modern
from models.mlp import MLP

MODELS: dict[str, type[nn.Module]] = {
    "lecun1989": LeCun1989,
    "lecun1989_modern": LeCun1989Modern,
    "lenet5": LeNet5,
    "lenet5_modern": LeNet5Modern,
    "mlp": MLP,
}


def _hashable(value):
    """Config lists become tuples: linen module attributes should be immutable."""
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


def build(model_config: Mapping) -> nn.Module:
    """Instantiates `model_config.name` with the remaining fields as module attributes."""
    fields = dict(model_config)
    name = fields.pop("name", None)
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; registered models: {sorted(MODELS)}.")
    cls = MODELS[name]
    valid = {f.name for f in dataclasses.fields(cls) if f.init and f.name not in ("parent", "name")}
    unknown = sorted(set(fields) - valid)
    if unknown:
        raise ValueError(f"Model {name!r} has no field(s) {unknown}; its fields are {sorted(valid)}.")
    return cls(**{k: _hashable(v) for k, v in fields.items()})
