"""Augmentations as pure jax functions of (batch, rng), run inside the compiled train step."""

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

Batch = dict[str, jax.Array]


def random_translation(max_shift: int, background: float) -> Callable[[Batch, jax.Array], Batch]:
    """Shifts every image by an independent integer offset in [-max_shift, max_shift]^2, filling with background.

    The small random translations of LeCun et al. 1998 (section III.C: "distortions") and of most modern recipes.
    """

    def shift_one(image: jax.Array, rng: jax.Array) -> jax.Array:
        height, width = image.shape[:2]
        padded = jnp.pad(
            image, ((max_shift, max_shift), (max_shift, max_shift), (0, 0)), constant_values=background
        )
        offset = jax.random.randint(rng, (2,), 0, 2 * max_shift + 1)
        return jax.lax.dynamic_slice(padded, (offset[0], offset[1], 0), (height, width, image.shape[2]))

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        rngs = jax.random.split(rng, batch["image"].shape[0])
        return {**batch, "image": jax.vmap(shift_one)(batch["image"], rngs)}

    return augment


def identity(batch: Batch, rng: jax.Array) -> Batch:
    del rng
    return batch


def build(augment_config: Mapping, background: float) -> Callable[[Batch, jax.Array], Batch]:
    """One augmentation function from config; unknown fields are an error naming the known ones."""
    known = {"max_translation"}
    unknown = sorted(set(augment_config) - known)
    if unknown:
        raise ValueError(f"Unknown augmentation field(s) {unknown}; known: {sorted(known)}.")
    max_shift = int(augment_config.get("max_translation", 0))
    if max_shift > 0:
        return random_translation(max_shift, background)
    return identity
