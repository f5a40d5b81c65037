"""Loading the public ViT checkpoints (google-research/vision_transformer `.npz` files, parameter paths joined
by "/", e.g. "Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel") into `models.vit.ViT` parameters.

Fine-tuning at another resolution interpolates the position embeddings of the patch grid (bilinear, as the
authors' code; the class token's embedding is kept as it is), and another number of classes starts a fresh
zero-initialised head (section 3.2 of the paper: "we remove the pre-trained prediction head and attach a
zero-initialized D x K feedforward layer"). Any other difference is an error naming the keys.
"""

import zipfile
import zlib

import flax
import jax
import numpy as np

HEAD = ("head/kernel", "head/bias")
POSITIONS = "Transformer/posembed_input/pos_embedding"


def flatten(params) -> dict[str, np.ndarray]:
    return {"/".join(k): np.asarray(v) for k, v in flax.traverse_util.flatten_dict(params).items()}


def unflatten(flat: dict[str, np.ndarray]):
    return flax.traverse_util.unflatten_dict({tuple(k.split("/")): v for k, v in flat.items()})


def save_npz(path: str, params) -> None:
    """Writes `params` in the checkpoints' flat naming (what the loader reads)."""
    np.savez(path, **flatten(params))


def interpolate_positions(positions: np.ndarray, new_tokens: int) -> np.ndarray:
    """(1, 1 + g*g, D) -> (1, new_tokens, D): the class token's row kept, the g x g grid resized bilinearly."""
    cls, grid = positions[:, :1], positions[0, 1:]
    old, new = int(round(np.sqrt(len(grid)))), int(round(np.sqrt(new_tokens - 1)))
    if old * old != len(grid) or new * new != new_tokens - 1:
        raise ValueError(f"Position embeddings of {positions.shape[1]} and {new_tokens} tokens are not class token "
                         f"plus a square grid.")
    grid = grid.reshape(old, old, -1)
    resized = np.asarray(jax.image.resize(grid, (new, new, grid.shape[-1]), "bilinear"))
    return np.concatenate([cls, resized.reshape(1, new * new, -1)], axis=1)


def load(path: str, template, skip: tuple[str, ...] = ()) -> dict:
    """Parameters shaped like `template` (a model's params or their shapes) from the checkpoint at `path`.

    `skip`: checkpoint keys to drop (e.g. "pre_logits/kernel", "pre_logits/bias" of the ImageNet-21k models,
    which our fine-tuning model does not have). Fresh heads are zeros (see the module docstring)."""
    try:
        with np.load(path) as archive:
            checkpoint = {k: archive[k] for k in archive.files if k not in skip}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:  # missing, truncated, corrupt
        raise ValueError(f"{path} is not a readable .npz checkpoint ({type(e).__name__}: {e}).") from None
    expected = {"/".join(k): tuple(v.shape) for k, v in flax.traverse_util.flatten_dict(template).items()}
    missing = sorted(set(expected) - set(checkpoint))
    unknown = sorted(set(checkpoint) - set(expected))
    if missing or unknown:
        raise ValueError(f"{path} does not match the model: missing keys {missing}; unknown keys {unknown}"
                         + (" (pass skip=... to drop them)" if unknown else "") + ".")
    params = {}
    for key, shape in expected.items():
        value = checkpoint[key]
        if tuple(value.shape) != shape:
            if key in HEAD:
                value = np.zeros(shape, value.dtype)
            elif key == POSITIONS:
                value = interpolate_positions(value, shape[1])
            else:
                raise ValueError(f"{path}: {key} has shape {tuple(value.shape)}, the model expects {shape}.")
        params[key] = value
    return unflatten(params)
