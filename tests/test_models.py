"""Parameter counts pinned to the papers, output shapes, and the shared layers against plain references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import traverse_util

import models
from models.layers import ConnectionTableConv, EuclideanRBF, TrainableSubsampling, scaled_tanh
from models.lenet5 import C3_CONNECTIONS, digit_prototypes

INPUT_SHAPES = {
    "lecun1989": (16, 16, 1), "lecun1989_modern": (16, 16, 1), "lenet5": (32, 32, 1),
    "lenet5_modern": (32, 32, 1), "mlp": (28, 28, 1),
}
# Every registered model needs an exact count here; the paper's where it gives one.
PARAMETER_COUNTS = {
    "lecun1989": 9_760,  # LeCun et al. 1989, section 5
    "lenet5": 60_000,  # LeCun et al. 1998, section II.B ("60,000 trainable parameters")
    "lecun1989_modern": 8_824,  # 312 + 2,412 + 5,790 + 310: per-map instead of per-unit biases
    "lenet5_modern": 61_706,  # 156 + 2,416 (full C3) + 48,120 + 10,164 + 850
    "mlp": 238_510,  # 784*300 + 300 + 300*10 + 10
}


def _params(name):
    model = models.build({"name": name})
    variables = model.init(jax.random.PRNGKey(0), jnp.zeros((2, *INPUT_SHAPES[name])))
    return model, variables


def _count(tree):
    return sum(x.size for x in jax.tree.leaves(tree))


def test_every_registered_model_has_a_pinned_count():
    assert set(models.MODELS) == set(PARAMETER_COUNTS) == set(INPUT_SHAPES)


@pytest.mark.parametrize("name", sorted(PARAMETER_COUNTS))
def test_parameter_count_and_output_shape(name):
    model, variables = _params(name)
    assert _count(variables["params"]) == PARAMETER_COUNTS[name]
    outputs = model.apply(variables, jnp.zeros((3, *INPUT_SHAPES[name])))
    assert outputs.shape == (3, 10)


def test_lecun1989_layer_by_layer():
    # Section 5: H1 1,068 (768 unit biases + 12 x 25 weights), H2 2,592, H3 5,790, output 310.
    _, variables = _params("lecun1989")
    per_layer = {k: _count(v) for k, v in variables["params"].items()}
    assert per_layer == {"H1": 1_068, "H2": 2_592, "H3": 5_790, "output": 310}
    assert variables["params"]["H1"]["bias"].shape == (8, 8, 12)  # one bias per unit
    assert variables["params"]["H2"]["bias"].shape == (4, 4, 12)


def test_lenet5_layer_by_layer():
    _, variables = _params("lenet5")
    per_layer = {k: _count(v) for k, v in variables["params"].items()}
    assert per_layer == {"C1": 156, "S2": 12, "C3": 1_516, "S4": 32, "C5": 48_120, "F6": 10_164}


def test_c3_table_matches_table_1():
    assert sum(len(row) for row in C3_CONNECTIONS) == 60
    assert [len(row) for row in C3_CONNECTIONS] == [3] * 6 + [4] * 9 + [6]
    # Row 0 of Table I: S2 map 0 feeds C3 maps 0, 4, 5, 6, 9, 10, 11, 12, 14, 15.
    assert [j for j, row in enumerate(C3_CONNECTIONS) if 0 in row] == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]


def test_prototypes_are_distinct_plus_minus_one_bitmaps():
    prototypes = digit_prototypes()
    assert prototypes.shape == (10, 84) and set(np.unique(prototypes)) == {-1.0, 1.0}
    distances = ((prototypes[:, None] - prototypes[None]) ** 2).sum(-1)
    assert distances[~np.eye(10, dtype=bool)].min() >= 4 * 4  # every pair differs in at least 4 pixels


def test_scaled_tanh_maps_plus_minus_one_to_itself():
    np.testing.assert_allclose(scaled_tanh(jnp.array([-1.0, 0.0, 1.0])), [-1.0, 0.0, 1.0], atol=1e-4)


def test_connection_table_conv_equals_per_map_reference():
    table = ((0, 1), (1, 2), (0, 2), (0, 1, 2))
    layer = ConnectionTableConv(table, kernel_size=3, strides=2, padding=1, pad_value=-1.0, unit_bias=True)
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 7, 7, 3))
    variables = layer.init(jax.random.PRNGKey(1), x)
    kernel, bias = variables["params"]["kernel"], variables["params"]["bias"]
    assert kernel.shape == (3, 3, 9) and bias.shape == (4, 4, 4)
    padded = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-1.0)
    expected, start = [], 0
    for inputs in table:
        k = kernel[:, :, start:start + len(inputs)][..., None]
        start += len(inputs)
        expected.append(jax.lax.conv_general_dilated(
            padded[..., list(inputs)], k, (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )[..., 0])
    expected = jnp.stack(expected, -1) + bias
    np.testing.assert_allclose(layer.apply(variables, x), expected, rtol=1e-5, atol=1e-5)


def test_trainable_subsampling_and_rbf_against_formulas():
    x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 4, 3))
    layer = TrainableSubsampling()
    variables = layer.init(jax.random.PRNGKey(1), x)
    c, b = variables["params"]["coefficient"], variables["params"]["bias"]
    sums = x.reshape(2, 2, 2, 2, 2, 3).sum(axis=(2, 4))
    np.testing.assert_allclose(layer.apply(variables, x), sums * c + b, rtol=1e-5)

    prototypes = np.sign(np.random.default_rng(0).normal(size=(10, 84))).astype(np.float32)
    features = jax.random.normal(jax.random.PRNGKey(2), (3, 84))
    penalties = EuclideanRBF(prototypes).apply({}, features)
    np.testing.assert_allclose(
        penalties, ((features[:, None, :] - prototypes[None]) ** 2).sum(-1), rtol=1e-4
    )


def test_paper_initialisation_bounds():
    _, variables = _params("lecun1989")
    flat = traverse_util.flatten_dict(variables["params"], sep="/")
    assert float(jnp.abs(flat["H1/kernel"]).max()) <= 2.4 / 25  # fan-in 25
    assert float(jnp.abs(flat["H2/kernel"]).max()) <= 2.4 / 200  # fan-in 8 maps x 25
    assert float(jnp.abs(flat["H3/kernel"]).max()) <= 2.4 / 192
    assert float(jnp.abs(flat["H2/kernel"]).max()) > 0.8 * 2.4 / 200  # and it is uniform up to the bound


def test_unknown_model_and_field_errors_name_the_choices():
    with pytest.raises(ValueError, match="registered models: .*lecun1989"):
        models.build({"name": "lenet6"})
    with pytest.raises(ValueError, match="has no field.*'actvation'.*its fields are"):
        models.build({"name": "lecun1989", "actvation": "relu"})
