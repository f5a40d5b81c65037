"""Bilinear resampling of an image at given source positions: what the geometric augmentations share."""

import jax
import jax.numpy as jnp

Batch = dict[str, jax.Array]


def resample(image: jax.Array, source: jax.Array, background: float) -> jax.Array:
    """`image` (H, W, C) read bilinearly at `source` (2, H * W), the (row, column) each output pixel takes, in
    row-major order; outside the image is `background`."""

    def sample(channel):
        return jax.scipy.ndimage.map_coordinates(channel, tuple(source), order=1, mode="constant", cval=background)

    channels = jax.vmap(sample, in_axes=2, out_axes=1)(image)  # (H * W, C)
    return channels.reshape(image.shape).astype(image.dtype)


def pixel_grid(height: int, width: int) -> jax.Array:
    """(2, height * width): every pixel's (row, column), row-major."""
    return jnp.stack(jnp.meshgrid(jnp.arange(height), jnp.arange(width), indexing="ij")).reshape(2, -1)
