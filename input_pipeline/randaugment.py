"""RandAugment (Cubuk, Zoph, Shlens & Le 2020) as a pure jax function of (batch, rng), run inside the train step.

Section 3 of the paper: each image goes through `num_layers` transformations in turn, each drawn uniformly from
the 14 below (with replacement), all at one global magnitude M. The transformations are the Python Imaging
Library's, written here on 8-bit values (0-255, rounded as PIL rounds), so that they can run on the device:

    identity, auto_contrast, equalize, rotate, solarize, color, posterize, contrast, brightness, sharpness,
    shear_x, shear_y, translate_x, translate_y

Magnitude M is on the paper's scale (10 = each transformation's maximum; larger values extrapolate, as the
paper's own code allows). At m = M / 10, as timm's "increasing" forms that DeiT uses (`rand-m9-mstd0.5-inc1`,
here without the magnitude noise): rotations of 30 m degrees, shears of 0.3 m, translations of 0.45 m of the
image's side, each with a random sign; colour, contrast, brightness and sharpness blend with their degenerate
image at factor 1 +- 0.9 m; solarize inverts the values >= 256 (1 - m). Posterize keeps 8 - int(4 m) bits:
AutoAugment's 4-8 bit range, made increasing (timm's increasing form keeps 4 - int(4 m), down to none). So every
transformation grows stronger with M, and M = 0 leaves an image as it is except for auto_contrast and equalize,
which take no magnitude. The list is the paper's 14 (timm's has invert and solarize-add instead of identity).
Geometric transformations read bilinearly and fill with grey (128), as timm does.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from input_pipeline.resampling import Batch, pixel_grid, resample

OPS = ("identity", "auto_contrast", "equalize", "rotate", "solarize", "color", "posterize", "contrast",
       "brightness", "sharpness", "shear_x", "shear_y", "translate_x", "translate_y")
FILL = 128.0
# PIL's convert("L"): ITU-R 601-2 in 16-bit fixed point. numpy, not jnp: importing must not start a jax backend
# (multi-process runs call jax.distributed.initialize first).
_LUMA = np.array([19595, 38470, 7471], np.float32) / 65536.0


def _grey(image: jax.Array) -> jax.Array:
    """(H, W, 1) luma as PIL's convert("L") rounds it; a one-channel image is its own."""
    if image.shape[-1] == 1:
        return image
    return jnp.floor(image @ _LUMA + 0.5)[..., None]


def blend(degenerate: jax.Array, image: jax.Array, factor: jax.Array) -> jax.Array:
    """PIL's Image.blend(degenerate, image, factor) on 8-bit values: clipped, then truncated."""
    return jnp.floor(jnp.clip(degenerate + factor * (image - degenerate), 0.0, 255.0))


def auto_contrast(image: jax.Array) -> jax.Array:
    """ImageOps.autocontrast: each channel's range stretched to 0-255 (a constant channel stays)."""
    low, high = image.min(axis=(0, 1)), image.max(axis=(0, 1))
    # floor(255 (x - low) / (high - low)), exactly: PIL's float64 table rounds a few exact quotients down by one
    span = jnp.maximum(high - low, 1.0).astype(jnp.int32)
    stretched = ((255 * (image - low).astype(jnp.int32)) // span).astype(image.dtype)
    return jnp.where(high > low, stretched, image)


def _equalize_channel(channel: jax.Array) -> jax.Array:
    values = channel.astype(jnp.int32)
    histogram = jnp.bincount(values.ravel(), length=256)
    last = histogram[255 - jnp.argmax(histogram[::-1] > 0)]  # the count of the largest value present
    step = (histogram.sum() - last) // 255
    lut = jnp.minimum((step // 2 + jnp.cumsum(histogram) - histogram) // jnp.maximum(step, 1), 255)
    return jnp.where(step > 0, lut[values], values).astype(channel.dtype)


def equalize(image: jax.Array) -> jax.Array:
    """ImageOps.equalize: each channel's histogram flattened through PIL's lookup table."""
    return jax.vmap(_equalize_channel, in_axes=2, out_axes=2)(image)


def solarize(image: jax.Array, threshold: jax.Array) -> jax.Array:
    """ImageOps.solarize: values >= threshold inverted."""
    return jnp.where(image >= threshold, 255.0 - image, image)


def posterize(image: jax.Array, bits: jax.Array) -> jax.Array:
    """ImageOps.posterize: only the `bits` most significant bits kept."""
    unit = 2.0 ** (8 - bits)
    return jnp.floor(image / unit) * unit


def color(image: jax.Array, factor: jax.Array) -> jax.Array:
    """ImageEnhance.Color: blend with the grey image."""
    return blend(jnp.broadcast_to(_grey(image), image.shape), image, factor)


def contrast(image: jax.Array, factor: jax.Array) -> jax.Array:
    """ImageEnhance.Contrast: blend with the grey image's mean, rounded."""
    return blend(jnp.floor(_grey(image).mean() + 0.5), image, factor)


def brightness(image: jax.Array, factor: jax.Array) -> jax.Array:
    """ImageEnhance.Brightness: blend with black."""
    return blend(jnp.zeros_like(image), image, factor)


def sharpness(image: jax.Array, factor: jax.Array) -> jax.Array:
    """ImageEnhance.Sharpness: blend with ImageFilter.SMOOTH (3x3 [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13, rounded;
    the border pixels keep their values)."""
    kernel = jnp.array([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]]) / 13.0
    height, width = image.shape[:2]
    windows = [image[dy:height - 2 + dy, dx:width - 2 + dx] * kernel[dy, dx] for dy in range(3) for dx in range(3)]
    inner = jnp.clip(jnp.floor(sum(windows) + 0.5), 0.0, 255.0)
    smooth = image.at[1:-1, 1:-1].set(inner)
    return blend(smooth, image, factor)


def _geometry(op: jax.Array, m: jax.Array, sign: jax.Array, height: int, width: int):
    """(matrix, offset) of the source position centre + matrix (p - centre) + offset for output pixel p = (row,
    column): the identity unless `op` is a geometric transformation."""
    angle = jnp.deg2rad(30.0 * m) * sign
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    shear = 0.3 * m * sign
    eye = jnp.eye(2)
    matrices = {
        "rotate": jnp.array([[cos, -sin], [sin, cos]]),
        "shear_x": jnp.array([[1.0, 0.0], [shear, 1.0]]),  # x + shear y
        "shear_y": jnp.array([[1.0, shear], [0.0, 1.0]]),
    }
    offsets = {
        "translate_x": jnp.array([0.0, 0.45 * m * width]) * sign,
        "translate_y": jnp.array([0.45 * m * height, 0.0]) * sign,
    }
    matrix, offset = eye, jnp.zeros(2)
    for name, value in matrices.items():
        matrix = jnp.where(op == OPS.index(name), value, matrix)
    for name, value in offsets.items():
        offset = jnp.where(op == OPS.index(name), value, offset)
    return matrix, offset


def apply_op(image: jax.Array, op: jax.Array, magnitude: float, sign: jax.Array) -> jax.Array:
    """Transformation number `op` of OPS at `magnitude` (paper scale) on an (H, W, C) image of 8-bit values;
    `sign` (+-1) chooses the direction of those that have one."""
    height, width = image.shape[:2]
    m = jnp.float32(magnitude / 10.0)
    matrix, offset = _geometry(op, m, sign, height, width)
    centre = jnp.array([(height - 1) / 2, (width - 1) / 2])[:, None]
    source = matrix @ (pixel_grid(height, width) - centre) + centre + offset[:, None]
    moved = jnp.floor(resample(image, source, FILL) + 0.5)  # exact for the identity (integer positions)
    factor = 1.0 + 0.9 * m * sign
    results = {
        "auto_contrast": auto_contrast(moved), "equalize": equalize(moved),
        "solarize": solarize(moved, 256.0 * (1.0 - m)), "posterize": posterize(moved, 8 - jnp.floor(4.0 * m)),
        "color": color(moved, factor), "contrast": contrast(moved, factor),
        "brightness": brightness(moved, factor), "sharpness": sharpness(moved, factor),
    }
    out = moved
    for name, value in results.items():
        out = jnp.where(op == OPS.index(name), value, out)
    return out


def rand_augment(num_layers: int, magnitude: float, to_unit: tuple) -> Callable[[Batch, jax.Array], Batch]:
    """RandAugment(N=num_layers, M=magnitude) for batches whose images map to [0, 1] pixels as
    x * scale + offset, `to_unit` = (scale, offset) (per channel, or per pixel, broadcast to an image); the result
    is mapped back, so it can follow standardisation."""
    if num_layers < 0 or magnitude < 0:
        raise ValueError(f"RandAugment needs num_layers >= 0 and magnitude >= 0; got {num_layers}, {magnitude}.")
    scale, offset = (jnp.asarray(v, jnp.float32) for v in to_unit)

    def one(image: jax.Array, rng: jax.Array) -> jax.Array:
        values = jnp.clip(jnp.floor((image * scale + offset) * 255.0 + 0.5), 0.0, 255.0)
        for layer_rng in jax.random.split(rng, num_layers):
            op_rng, sign_rng = jax.random.split(layer_rng)
            op = jax.random.randint(op_rng, (), 0, len(OPS))
            sign = jnp.where(jax.random.bernoulli(sign_rng), 1.0, -1.0)
            values = apply_op(values, op, magnitude, sign)
        return ((values / 255.0 - offset) / scale).astype(image.dtype)

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        rngs = jax.random.split(rng, batch["image"].shape[0])
        return {**batch, "image": jax.vmap(one)(batch["image"], rngs)}

    return augment
