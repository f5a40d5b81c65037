"""Recurrent cells against their equations, flax's cells and each other; layers against a step-by-step loop;
masking; CTC loss against a brute-force alignment sum; CTC decoding of known frame sequences."""

import functools
import itertools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from models.layers.recurrent import Recurrent, RecurrentStack
from models.layers.recurrent_cells import GATES, ElmanCell, FusedLSTMCell, GRUCell, LSTMCell
from train.read_codes import levenshtein
from train.tasks import ctc_decoding

BATCH, STEPS, INPUTS, HIDDEN = 3, 7, 5, 4


def _random_like(tree, seed=0):
    """Every parameter drawn afresh (so zero-initialised biases are tested too)."""
    leaves, treedef = jax.tree.flatten(tree)
    keys = jax.random.split(jax.random.PRNGKey(seed), len(leaves))
    return jax.tree.unflatten(treedef, [0.5 * jax.random.normal(k, x.shape) for k, x in zip(keys, leaves, strict=True)])


def _init(cell, carry, x, seed=0):
    return {"params": _random_like(cell.init(jax.random.PRNGKey(0), carry, x)["params"], seed)}


def _inputs(seed=1, shape=(BATCH, INPUTS)):
    return jax.random.normal(jax.random.PRNGKey(seed), shape)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("candidate_bias", [False, True])
def test_lstm_is_the_decks_equations(candidate_bias):
    cell = LSTMCell(HIDDEN, candidate_bias=candidate_bias)
    x, c, h = _inputs(1), _inputs(2, (BATCH, HIDDEN)), _inputs(3, (BATCH, HIDDEN))
    variables = _init(cell, (c, h), x)
    (c_new, h_new), out = cell.apply(variables, (c, h), x)
    p = jax.tree.map(np.asarray, variables["params"])
    x, c, h = map(np.asarray, (x, c, h))

    def term(gate):
        bias = p[f"W_{gate}"].get("bias", 0.0)
        return x @ p[f"W_{gate}"]["kernel"] + h @ p[f"U_{gate}"]["kernel"] + bias

    assert ("bias" in p["W_c"]) == candidate_bias  # the deck's candidate has no bias
    f, i, o = sigmoid(term("f")), sigmoid(term("i")), sigmoid(term("o"))
    c_expected = f * c + i * np.tanh(term("c"))
    h_expected = o * np.tanh(c_expected)
    np.testing.assert_allclose(c_new, c_expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_new, h_expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out, h_new)


def test_lstm_equals_flax_lstm_cell_with_a_candidate_bias():
    ours = LSTMCell(HIDDEN, candidate_bias=True)
    x, carry = _inputs(), (_inputs(2, (BATCH, HIDDEN)), _inputs(3, (BATCH, HIDDEN)))
    variables = _init(ours, carry, x)
    p = variables["params"]
    flax_names = {"f": "f", "i": "i", "c": "g", "o": "o"}  # flax calls the candidate g
    flax_params = {}
    for gate, name in flax_names.items():
        flax_params[f"i{name}"] = {"kernel": p[f"W_{gate}"]["kernel"]}
        flax_params[f"h{name}"] = {"kernel": p[f"U_{gate}"]["kernel"], "bias": p[f"W_{gate}"]["bias"]}
    expected = nn.LSTMCell(HIDDEN).apply({"params": flax_params}, carry, x)
    np.testing.assert_allclose(jax.tree.leaves(ours.apply(variables, carry, x)), jax.tree.leaves(expected),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("candidate_bias", [False, True])
def test_fused_lstm_equals_the_readable_one(candidate_bias):
    readable = LSTMCell(HIDDEN, candidate_bias=candidate_bias)
    x, carry = _inputs(), (_inputs(2, (BATCH, HIDDEN)), _inputs(3, (BATCH, HIDDEN)))
    variables = _init(readable, carry, x)
    p = variables["params"]
    bias = [p[f"W_{g}"]["bias"] if "bias" in p[f"W_{g}"] else jnp.full((HIDDEN,), 9.0) for g in GATES]
    fused = {
        "W": {"kernel": jnp.concatenate([p[f"W_{g}"]["kernel"] for g in GATES], axis=1)},
        "U": jnp.concatenate([p[f"U_{g}"]["kernel"] for g in GATES], axis=1),
        "b": jnp.concatenate(bias),  # without a candidate bias, its block (here 9s) must be ignored
    }
    got = FusedLSTMCell(HIDDEN, candidate_bias=candidate_bias).apply({"params": fused}, carry, x)
    np.testing.assert_allclose(jax.tree.leaves(got), jax.tree.leaves(readable.apply(variables, carry, x)),
                               rtol=1e-5, atol=1e-6)


def test_fused_lstm_initialises_like_the_readable_one():
    params = FusedLSTMCell(HIDDEN).init(jax.random.PRNGKey(0), LSTMCell(HIDDEN).initial_carry((1,)),
                                        jnp.zeros((1, INPUTS)))["params"]
    np.testing.assert_array_equal(params["b"], [1.0] * HIDDEN + [0.0] * 3 * HIDDEN)  # forget bias 1
    for block in jnp.split(params["U"], 4, axis=1):  # one orthogonal matrix per gate
        np.testing.assert_allclose(block.T @ block, np.eye(HIDDEN), atol=1e-5)


@pytest.mark.parametrize("reset_after", [False, True])
def test_gru_is_cho_et_al_equations(reset_after):
    cell = GRUCell(HIDDEN, reset_after=reset_after)
    x, h = _inputs(), _inputs(2, (BATCH, HIDDEN))
    variables = _init(cell, h, x)
    new_h, _ = cell.apply(variables, h, x)
    p = jax.tree.map(np.asarray, variables["params"])
    x, h = np.asarray(x), np.asarray(h)

    def dense(name, v):
        return v @ p[name]["kernel"] + p[name].get("bias", 0.0)

    r = sigmoid(dense("W_r", x) + dense("U_r", h))
    z = sigmoid(dense("W_z", x) + dense("U_z", h))
    recurrent = r * dense("U", h) if reset_after else dense("U", r * h)
    expected = z * h + (1 - z) * np.tanh(dense("W", x) + recurrent)
    np.testing.assert_allclose(new_h, expected, rtol=1e-5, atol=1e-6)


def test_gru_reset_after_equals_flax_gru_cell():
    ours = GRUCell(HIDDEN, reset_after=True)
    x, h = _inputs(), _inputs(2, (BATCH, HIDDEN))
    variables = _init(ours, h, x)
    p = variables["params"]
    flax_params = {"ir": p["W_r"], "iz": p["W_z"], "in": p["W"], "hr": p["U_r"], "hz": p["U_z"], "hn": p["U"]}
    expected, _ = nn.GRUCell(HIDDEN).apply({"params": flax_params}, h, x)
    np.testing.assert_allclose(ours.apply(variables, h, x)[0], expected, rtol=1e-5, atol=1e-6)


def test_elman_equals_flax_simple_cell():
    ours = ElmanCell(HIDDEN)
    x, h = _inputs(), _inputs(2, (BATCH, HIDDEN))
    variables = _init(ours, h, x)
    p = variables["params"]
    expected, _ = nn.SimpleCell(HIDDEN).apply({"params": {"i": p["W"], "h": p["U"]}}, h, x)
    np.testing.assert_allclose(ours.apply(variables, h, x)[0], expected, rtol=1e-5, atol=1e-6)


def _layer_params(cell, seed=0):
    layer = Recurrent(cell, HIDDEN)
    xs = _inputs(1, (BATCH, STEPS, INPUTS))
    return layer, xs, {"params": _random_like(layer.init(jax.random.PRNGKey(0), xs)["params"], seed)}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "fused_lstm", "gru"])
def test_scanned_layer_equals_a_step_by_step_loop(cell):
    layer, xs, variables = _layer_params(cell)
    carry, outputs = layer.apply(variables, xs)
    step_cell = {"rnn": ElmanCell, "lstm": LSTMCell, "fused_lstm": FusedLSTMCell, "gru": GRUCell}[cell](HIDDEN)
    state = step_cell.initial_carry((BATCH,))
    expected = []
    for t in range(STEPS):
        state, h = step_cell.apply({"params": variables["params"]["cell"]}, state, xs[:, t])
        expected.append(h)
    np.testing.assert_allclose(outputs, jnp.stack(expected, axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jax.tree.leaves(carry), jax.tree.leaves(state), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "fused_lstm", "gru"])
def test_padding_never_changes_results(cell):
    stack = RecurrentStack(cell, HIDDEN, num_layers=2, bidirectional=True)
    lengths = jnp.array([STEPS, 4, 1])
    xs = _inputs(1, (BATCH, STEPS, INPUTS))
    variables = stack.init(jax.random.PRNGKey(0), xs, lengths)
    outputs, summary = stack.apply(variables, xs, lengths)
    garbage = jnp.where(jnp.arange(STEPS)[None, :, None] < lengths[:, None, None], xs, 1e3)
    outputs_garbage, summary_garbage = stack.apply(variables, garbage, lengths)
    np.testing.assert_allclose(outputs, outputs_garbage, atol=1e-6)
    np.testing.assert_allclose(summary, summary_garbage, atol=1e-6)
    for b, length in enumerate(lengths.tolist()):  # each sequence alone, unpadded
        alone, alone_summary = stack.apply(variables, xs[b:b + 1, :length])
        np.testing.assert_allclose(outputs[b, :length], alone[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(summary[b], alone_summary[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(outputs[b, length:], 0.0)


@pytest.mark.parametrize("masked", [False, True])
def test_fused_lstm_backward_pass_equals_autodiff_of_the_scan(masked):
    layer, xs, variables = _layer_params("fused_lstm")
    lengths = jnp.array([STEPS, 4, 1]) if masked else None
    weights = _inputs(5, (BATCH, STEPS, HIDDEN))
    zeros = jnp.zeros((BATCH, STEPS, HIDDEN))

    def loss(params, xs, hidden_offsets):
        (c, h), outputs = layer.apply({"params": params}, xs, lengths, hidden_offsets=hidden_offsets)
        return jnp.sum(outputs * weights) + jnp.sum(jnp.sin(c)) + jnp.sum(h**2)

    # hidden_offsets (of zero) send the layer through the generic scan of `recur`, differentiated by JAX.
    fused = jax.grad(loss, argnums=(0, 1))(variables["params"], xs, None)
    autodiff = jax.grad(loss, argnums=(0, 1))(variables["params"], xs, zeros)
    np.testing.assert_allclose(loss(variables["params"], xs, None), loss(variables["params"], xs, zeros),
                               rtol=1e-5)
    for got, expected in zip(jax.tree.leaves(fused), jax.tree.leaves(autodiff), strict=True):
        np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-5)


def test_fused_lstm_backward_pass_runs_in_bfloat16_close_to_float32():
    """Mixed precision hands the layer bfloat16 inputs and weights; every gradient of the hand-written backward
    pass must come back in bfloat16 and near the float32 one."""
    layer, xs, variables = _layer_params("fused_lstm")

    def loss(params, xs):
        (c, h), outputs = layer.apply({"params": params}, xs)
        return jnp.sum(outputs.astype(jnp.float32) ** 2) + jnp.sum(c.astype(jnp.float32))

    full = jax.grad(loss, argnums=(0, 1))(variables["params"], xs)
    to_bfloat16 = functools.partial(jax.tree.map, lambda a: a.astype(jnp.bfloat16))
    mixed = jax.grad(loss, argnums=(0, 1))(to_bfloat16(variables["params"]), to_bfloat16(xs))
    for got, expected in zip(jax.tree.leaves(mixed), jax.tree.leaves(full), strict=True):
        assert got.dtype == jnp.bfloat16
        np.testing.assert_allclose(got.astype(jnp.float32), expected, rtol=0.05, atol=0.05)


def test_bidirectional_backward_half_reads_the_sequence_reversed():
    stack = RecurrentStack("gru", HIDDEN, bidirectional=True)
    xs = _inputs(1, (BATCH, STEPS, INPUTS))
    variables = stack.init(jax.random.PRNGKey(0), xs)
    outputs, _ = stack.apply(variables, xs)
    backward = Recurrent("gru", HIDDEN).apply(
        {"params": variables["params"]["layer0_backward"]}, xs[:, ::-1])[1][:, ::-1]
    np.testing.assert_allclose(outputs[..., HIDDEN:], backward, rtol=1e-5, atol=1e-6)


def test_hidden_offsets_give_the_gradient_with_respect_to_each_hidden_state():
    layer, xs, variables = _layer_params("lstm")

    def loss(offsets):
        return jnp.sum(layer.apply(variables, xs, hidden_offsets=offsets)[1][:, -1] ** 2)

    grads = jax.grad(loss)(jnp.zeros((BATCH, STEPS, HIDDEN)))
    _, outputs = layer.apply(variables, xs)
    np.testing.assert_allclose(grads[:, -1], 2 * outputs[:, -1], rtol=1e-5)  # dL/dh_T of sum(h_T^2)
    assert np.all(np.linalg.norm(grads[:, 0], axis=-1) > 0)  # earlier states reach the loss through the carry


# --- CTC -------------------------------------------------------------------------------------------------------

def _collapse(path):
    return [s - 1 for s, _ in itertools.groupby(path) if s != ctc_decoding.BLANK]


def test_ctc_loss_equals_the_sum_over_all_alignments():
    frames, symbols, labels = 5, 3, [1, 1]  # a repeated label needs a blank between its two frames
    logits = jax.random.normal(jax.random.PRNGKey(0), (1, frames, symbols))
    probs = np.asarray(jax.nn.softmax(logits[0]))
    total = sum(
        np.prod([probs[t, s] for t, s in enumerate(path)])
        for path in itertools.product(range(symbols), repeat=frames) if _collapse(path) == labels
    )
    loss = optax.ctc_loss(logits, jnp.zeros((1, frames)), jnp.array([[2, 2]]), jnp.zeros((1, 2)))
    np.testing.assert_allclose(float(loss[0]), -np.log(total), rtol=1e-5)


def _one_hot_frames(path, symbols=4):
    return jnp.log(jax.nn.one_hot(jnp.array(path), symbols) * 0.97 + 0.01)[None]


@pytest.mark.parametrize("path, expected", [
    ([1, 1, 0, 1, 2, 0], [0, 0, 1]),  # "a a - a b -" -> "a a b"
    ([0, 0, 0, 0], []),
    ([3, 3, 3, 3], [2]),
    ([1, 2, 1, 2], [0, 1, 0, 1]),
])
def test_greedy_and_beam_search_decode_known_frames(path, expected):
    labels, lengths = ctc_decoding.greedy_decode(_one_hot_frames(path))
    assert int(lengths[0]) == len(expected)
    assert labels[0, :len(expected)].tolist() == expected and bool(jnp.all(labels[0, len(expected):] == -1))
    assert ctc_decoding.beam_search_decode(_one_hot_frames(path)[0]) == expected


def test_beam_search_finds_the_labelling_that_the_best_path_misses():
    # Two frames; the best single path is "- -" (0.6 * 0.6 = 0.36) but "a" collects 0.4*0.6 + 0.6*0.4 + 0.4*0.4.
    probs = np.array([[0.6, 0.4], [0.6, 0.4]])
    labels, lengths = ctc_decoding.greedy_decode(jnp.log(probs)[None])
    assert int(lengths[0]) == 0
    assert ctc_decoding.beam_search_decode(np.log(probs), beam_width=4) == [0]


def test_edit_distances_match_a_plain_levenshtein():
    rng = np.random.default_rng(0)
    decoded = rng.integers(0, 3, (50, 8))
    decoded_lengths = rng.integers(0, 9, 50)
    labels = rng.integers(0, 3, (50, 5))
    label_lengths = rng.integers(1, 6, 50)
    got = ctc_decoding.edit_distances(jnp.array(decoded), jnp.array(decoded_lengths), jnp.array(labels),
                                      jnp.array(label_lengths))
    expected = [levenshtein(decoded[n, :decoded_lengths[n]].tolist(), labels[n, :label_lengths[n]].tolist())
                for n in range(50)]
    assert got.tolist() == expected
