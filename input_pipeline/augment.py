"""Augmentations as pure jax functions of (batch, rng), run inside the compiled train step."""

import math
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from input_pipeline import randaugment
from input_pipeline.resampling import Batch, pixel_grid, resample


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


def affine_warp(image: jax.Array, matrix: jax.Array, background: float) -> jax.Array:
    """`image` (H, W, C) resampled bilinearly through the 2x2 `matrix` about its centre: output pixel (y, x) takes
    the input at centre + matrix @ ((y, x) - centre); outside the image is `background`."""
    height, width = image.shape[:2]
    centre = jnp.array([(height - 1) / 2, (width - 1) / 2], jnp.float32)
    grid = pixel_grid(height, width)
    return resample(image, matrix @ (grid - centre[:, None]) + centre[:, None], background)


def random_affine(
    rotation: float, scale: float, shear: float, background: float
) -> Callable[[Batch, jax.Array], Batch]:
    """A random planar affine distortion per image: rotation in [-rotation, rotation] degrees, independent
    horizontal and vertical scale factors in [1 - scale, 1 + scale] ("squeezing"), and a horizontal shear of up to
    `shear` degrees. LeCun et al. 1998, section III.C: "random planar affine transformations ... combinations of
    translation, scaling, squeezing, and shearing" made LeNet-5's distorted training set (0.95% -> 0.8% test
    error); Simard, Steinkraus & Platt 2003 likewise. Combine with `max_translation` for the translations."""
    max_angle, max_shear = np.deg2rad(rotation), np.deg2rad(shear)

    def matrix(rng: jax.Array) -> jax.Array:
        angle_rng, scale_rng, shear_rng = jax.random.split(rng, 3)
        angle = jax.random.uniform(angle_rng, (), minval=-max_angle, maxval=max_angle)
        factors = 1.0 + jax.random.uniform(scale_rng, (2,), minval=-scale, maxval=scale)
        slant = jnp.tan(jax.random.uniform(shear_rng, (), minval=-max_shear, maxval=max_shear))
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        rotate = jnp.array([[cos, -sin], [sin, cos]])
        return rotate @ jnp.array([[1.0, 0.0], [slant, 1.0]]) @ jnp.diag(factors)

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        matrices = jax.vmap(matrix)(jax.random.split(rng, batch["image"].shape[0]))
        warped = jax.vmap(affine_warp, in_axes=(0, 0, None))(batch["image"], matrices, background)
        return {**batch, "image": warped}

    return augment


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A normalised 1-D Gaussian of standard deviation `sigma` pixels, truncated at 3 sigma."""
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    return (taps / taps.sum()).astype(np.float32)


def smoothing_matrix(size: int, kernel: np.ndarray) -> np.ndarray:
    """(size, size) matrix S such that S @ v is v convolved with `kernel` (odd length), zero outside: numpy's
    "same" convolution, but of exactly `size` outputs even when the kernel is the longer (np.convolve then
    returns len(kernel) values; sigma 4, Simard et al.'s MNIST setting, is 25 taps on USPS's 16 pixels)."""
    radius = len(kernel) // 2
    offsets = np.arange(size)[:, None] - np.arange(size)[None, :] + radius  # kernel tap of output i, input j
    inside = (offsets >= 0) & (offsets < len(kernel))
    return np.where(inside, kernel[np.clip(offsets, 0, len(kernel) - 1)], 0.0).astype(np.float32)


def smooth(field: jax.Array, kernel: np.ndarray) -> jax.Array:
    """`field` (..., H, W) convolved with the separable `kernel` along both axes, zero outside, as two small matrix
    products (`smoothing_matrix`)."""
    height, width = field.shape[-2:]
    rows, columns = smoothing_matrix(height, kernel), smoothing_matrix(width, kernel)
    return rows @ field @ columns.T


def draw_flat(sample: Callable, rng: jax.Array, shape: tuple[int, ...], **kwargs) -> jax.Array:
    """`sample(rng, shape, **kwargs)` for a jax.random sampler, drawn as one row and reshaped. The values are the
    same (each element's bits come from its row-major index), but XLA:CPU's compile time for the Threefry hash grows
    steeply with the rank of the array it hashes, and a per-image draw under vmap gains a rank."""
    return sample(rng, (math.prod(shape),), **kwargs).reshape(shape)


def random_elastic(alpha: float, sigma: float, background: float) -> Callable[[Batch, jax.Array], Batch]:
    """Elastic distortion (Simard, Steinkraus & Platt 2003, section 2): per image, a displacement field of
    independent uniform(-1, 1) values per pixel and direction, smoothed by a Gaussian of standard deviation `sigma`
    pixels and scaled by `alpha`; each output pixel reads the input, bilinearly, at its own position plus that
    displacement. The paper used sigma 4 and alpha 34 on MNIST's 28x28 digits."""
    kernel = gaussian_kernel(sigma)

    def distort(image: jax.Array, rng: jax.Array) -> jax.Array:
        height, width = image.shape[:2]
        noise = draw_flat(jax.random.uniform, rng, (2, height, width), minval=-1.0, maxval=1.0)
        displacement = alpha * smooth(noise, kernel)
        return resample(image, pixel_grid(height, width) + displacement.reshape(2, -1), background)

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        rngs = jax.random.split(rng, batch["image"].shape[0])
        return {**batch, "image": jax.vmap(distort)(batch["image"], rngs)}

    return augment


def random_horizontal_flip(batch: Batch, rng: jax.Array) -> Batch:
    """Mirrors each image left-right with probability 1/2 (Krizhevsky et al. 2012, section 4.1; He et al. 2016,
    section 4.2)."""
    flip = jax.random.bernoulli(rng, 0.5, (batch["image"].shape[0], 1, 1, 1))
    return {**batch, "image": jnp.where(flip, batch["image"][:, :, ::-1], batch["image"])}


def pca_lighting(std: float, eigenvalues, eigenvectors) -> Callable[[Batch, jax.Array], Batch]:
    """Krizhevsky et al. 2012, section 4.1: to every RGB pixel of an image add [p1, p2, p3][a1 l1, a2 l2, a3 l3]^T,
    where p_i, l_i are the eigenvectors and eigenvalues of the 3x3 covariance of the training set's RGB values
    and a_i ~ N(0, std^2) is drawn once per image per presentation (the paper: std 0.1)."""
    eigenvalues = jnp.asarray(eigenvalues, jnp.float32)
    eigenvectors = jnp.asarray(eigenvectors, jnp.float32)

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        alphas = std * jax.random.normal(rng, (batch["image"].shape[0], 3))
        shift = (alphas * eigenvalues) @ eigenvectors.T  # (batch, 3): sum_i a_i l_i p_i
        return {**batch, "image": batch["image"] + shift[:, None, None, :]}

    return augment


def rgb_principal_components(images) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues, eigenvectors as columns) of the covariance of the RGB values of (N, H, W, 3) images."""
    pixels = np.asarray(images, np.float64).reshape(-1, 3)
    return np.linalg.eigh(np.cov(pixels, rowvar=False))


def random_erasing(probability: float, min_area: float = 0.02, max_area: float = 1 / 3, max_aspect: float = 10 / 3,
                   attempts: int = 10) -> Callable[[Batch, jax.Array], Batch]:
    """Random erasing (Zhong et al. 2020, Algorithm 1) as timm implements it for DeiT (`reprob`, mode "pixel"):
    with `probability`, a rectangle of each image is replaced by independent N(0, 1) values per pixel and channel
    (noise in the model's input units: for standardised images, what timm draws after normalising). The rectangle
    covers a uniform fraction in [min_area, max_area] of the image, its aspect ratio log-uniform in
    [1 / max_aspect, max_aspect], its sides rounded to whole pixels; a candidate that does not fit is drawn again,
    up to `attempts` times (after which the image stays whole), and its position is uniform over where it fits.
    (The paper's own bounds: area 0.02-0.4, aspect 0.3-3.33, values uniform over 0-255.)"""
    log_aspect = np.log(max_aspect)

    def erase_one(image: jax.Array, rng: jax.Array) -> jax.Array:
        height, width = image.shape[:2]
        apply_rng, area_rng, aspect_rng, place_rng, noise_rng = jax.random.split(rng, 5)
        area = jax.random.uniform(area_rng, (attempts,), minval=min_area, maxval=max_area) * height * width
        aspect = jnp.exp(jax.random.uniform(aspect_rng, (attempts,), minval=-log_aspect, maxval=log_aspect))
        heights = jnp.round(jnp.sqrt(area * aspect)).astype(jnp.int32)
        widths = jnp.round(jnp.sqrt(area / aspect)).astype(jnp.int32)
        fits = (heights < height) & (widths < width)
        first = jnp.argmax(fits)  # the first candidate that fits, as timm's loop takes it
        box_height, box_width = heights[first], widths[first]
        top = jax.random.randint(place_rng, (), 0, height - box_height + 1)
        left = jax.random.randint(jax.random.fold_in(place_rng, 1), (), 0, width - box_width + 1)
        rows, columns = jnp.arange(height)[:, None, None], jnp.arange(width)[None, :, None]
        box = (rows >= top) & (rows < top + box_height) & (columns >= left) & (columns < left + box_width)
        erase = box & fits[first] & jax.random.bernoulli(apply_rng, probability)
        return jnp.where(erase, draw_flat(jax.random.normal, noise_rng, image.shape, dtype=image.dtype), image)

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        rngs = jax.random.split(rng, batch["image"].shape[0])
        return {**batch, "image": jax.vmap(erase_one)(batch["image"], rngs)}

    return augment


def identity(batch: Batch, rng: jax.Array) -> Batch:
    del rng
    return batch


def build(augment_config: Mapping, background: float, train_images=None,
          to_unit=(1.0, 0.0)) -> Callable[[Batch, jax.Array], Batch]:
    """One augmentation function from config; unknown fields are an error naming the known ones.

    max_translation: N > 0 shifts by up to N pixels, filling with background; for CIFAR-10 this is He et al.'s
    "4 pixels are padded on each side, and a 32x32 crop is randomly sampled from the padded image".
    affine_rotation / affine_scale / affine_shear: degrees / fraction / degrees of a random affine distortion
    (`random_affine`), applied before the translation.
    elastic_alpha / elastic_sigma: scale and smoothing (pixels) of a random elastic distortion (`random_elastic`),
    applied after the affine one and before the translation; alpha 0 is off.
    horizontal_flip: mirror half of the images.
    randaugment_layers / randaugment_magnitude: N > 0 applies RandAugment(N, M) (`randaugment.rand_augment`)
    after the crop and flip; images map to [0, 1] pixels as x * scale + offset, `to_unit` = (scale, offset).
    pca_lighting: std > 0 adds AlexNet's PCA colour noise (RGB images; components from `train_images`).
    random_erasing: probability > 0 erases a rectangle of that share of the images (`random_erasing`), last.
    """
    known = {"max_translation", "horizontal_flip", "pca_lighting", "affine_rotation", "affine_scale", "affine_shear",
             "elastic_alpha", "elastic_sigma", "randaugment_layers", "randaugment_magnitude", "random_erasing"}
    unknown = sorted(set(augment_config) - known)
    if unknown:
        raise ValueError(f"Unknown augmentation field(s) {unknown}; known: {sorted(known)}.")
    for field in sorted(known - {"horizontal_flip"}):  # sizes, magnitudes and probabilities: 0 is off
        if float(augment_config.get(field, 0.0)) < 0:
            raise ValueError(f"augment.{field} must be >= 0 (0 is off); got {augment_config[field]}.")
    if float(augment_config.get("affine_scale", 0.0)) >= 1:
        raise ValueError(f"augment.affine_scale is a fraction in [0, 1); got {augment_config['affine_scale']}.")
    steps = []
    affine = [float(augment_config.get(f"affine_{k}", 0.0)) for k in ("rotation", "scale", "shear")]
    if any(affine):
        steps.append(random_affine(*affine, background))
    elastic_alpha = float(augment_config.get("elastic_alpha", 0.0))
    if elastic_alpha > 0:
        sigma = float(augment_config.get("elastic_sigma", 0.0))
        if sigma <= 0:
            raise ValueError(f"augment.elastic_sigma must be > 0 pixels when elastic_alpha is set; got {sigma}.")
        steps.append(random_elastic(elastic_alpha, sigma, background))
    max_shift = int(augment_config.get("max_translation", 0))
    if max_shift > 0:
        steps.append(random_translation(max_shift, background))
    if augment_config.get("horizontal_flip", False):
        steps.append(random_horizontal_flip)
    layers = int(augment_config.get("randaugment_layers", 0))
    if layers:
        steps.append(randaugment.rand_augment(layers, float(augment_config.get("randaugment_magnitude", 0.0)),
                                              to_unit))
    lighting = float(augment_config.get("pca_lighting", 0.0))
    if lighting > 0:
        if train_images is None or train_images.shape[-1] != 3:
            raise ValueError("augment.pca_lighting needs RGB training images (N, H, W, 3).")
        sample = train_images[:: max(1, len(train_images) // 10_000)]  # 10,000 images estimate 3x3 well
        steps.append(pca_lighting(lighting, *rgb_principal_components(sample)))
    erasing = float(augment_config.get("random_erasing", 0.0))
    if not 0.0 <= erasing <= 1.0:
        raise ValueError(f"augment.random_erasing is a probability in [0, 1]; got {erasing}.")
    if erasing > 0:
        steps.append(random_erasing(erasing))
    if not steps:
        return identity
    if len(steps) == 1:
        return steps[0]

    def augment(batch: Batch, rng: jax.Array) -> Batch:
        for step, step_rng in zip(steps, jax.random.split(rng, len(steps)), strict=True):
            batch = step(batch, step_rng)
        return batch

    return augment
