"""The Transformer and its decoding: the base model's size, masks, cached decoding, greedy and beam search."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from input_pipeline import packing
from input_pipeline.tokenizers import EOS
from models.layers.attention import sinusoidal_positions
from models.transformer import Transformer
from train.tasks import beam_search

TINY = dict(vocab_size=30, d_model=32, num_heads=4, num_encoder_layers=2, num_decoder_layers=2, d_ff=64,
            dropout_rate=0.0, max_length=16)


def _tiny(seed=0, **overrides):
    model = Transformer(**{**TINY, **overrides})
    source = jax.random.randint(jax.random.PRNGKey(seed), (4, 7), 4, 30).at[:, 5:].set(0)  # 2 padding positions
    target = jax.random.randint(jax.random.PRNGKey(seed + 1), (4, 6), 4, 30)
    return model, source, target, model.init(jax.random.PRNGKey(seed), source, target)


def test_base_model_parameter_count():
    # Table 3 "base": 65M at a 37k shared vocabulary. Ours with 37,000 tokens, shared embeddings: 18,944,000
    # embeddings + 6 x 3,152,384 encoder layers + 6 x 4,204,032 decoder layers.
    variables = jax.eval_shape(lambda: Transformer().init(
        jax.random.PRNGKey(0), jnp.ones((1, 8), jnp.int32), jnp.ones((1, 8), jnp.int32)))
    count = sum(x.size for x in jax.tree.leaves(variables["params"]))
    assert count == 37_000 * 512 + 6 * 3_152_384 + 6 * 4_204_032 == 63_082_496


def test_untied_output_projection_is_a_bias_free_dense_layer_stored_transposed():
    model = Transformer(vocab_size=300, target_vocab_size=500, d_model=64, num_heads=4, num_encoder_layers=1,
                        num_decoder_layers=1, d_ff=32, dropout_rate=0.0, max_length=8, share_embeddings=False)
    ids = jnp.ones((2, 8), jnp.int32)
    variables = model.init(jax.random.PRNGKey(0), ids, ids)
    table = variables["params"]["output_projection"]["embedding"]
    assert table.shape == (500, 64)  # (vocabulary, d_model)
    np.testing.assert_allclose(float(table.std()), 64 ** -0.5, rtol=0.05)  # lecun_normal over d_model, as Dense
    decoded = jax.random.normal(jax.random.PRNGKey(1), (2, 8, 64))
    logits = model.apply(variables, decoded, method=lambda m, x: m.output_projection.attend(x))
    np.testing.assert_allclose(logits, decoded @ table.T, rtol=1e-5, atol=1e-5)


def test_sinusoidal_positions_follow_section_3_5():
    table = sinusoidal_positions(50, 16)
    np.testing.assert_allclose(table[7, 4], np.sin(7 / 10000 ** (4 / 16)), rtol=1e-6)
    np.testing.assert_allclose(table[7, 5], np.cos(7 / 10000 ** (4 / 16)), rtol=1e-6)


def test_padding_and_future_tokens_change_nothing_they_must_not():
    model, source, target, variables = _tiny()
    logits = model.apply(variables, source, target)
    # Other tokens in the source's padding positions: still padding (id 0 marks it), so replace padding by
    # padding of another length instead: cut the source to its real tokens plus one padding column.
    np.testing.assert_allclose(model.apply(variables, source[:, :6], target), logits, atol=1e-5)
    # Causal: changing target tokens after position 2 leaves logits at positions 0..2 unchanged.
    changed = target.at[:, 3:].set(5)
    np.testing.assert_allclose(model.apply(variables, source, changed)[:, :3], logits[:, :3], atol=1e-5)
    assert not np.allclose(model.apply(variables, source, changed)[:, 3:], logits[:, 3:])


def test_packed_rows_compute_what_each_pair_computes_alone():
    model, _, _, variables = _tiny(learned_positions=True)  # learned: positions must be looked up, not sliced
    rng = np.random.default_rng(0)
    pairs = [(rng.integers(4, 30, n), rng.integers(4, 30, m)) for n, m in [(3, 4), (5, 2), (2, 6), (6, 5)]]
    split = {
        "source": np.array([np.pad(np.r_[s, EOS], (0, 9 - len(s))) for s, _ in pairs], np.int32),
        "target_inputs": np.array([np.pad(np.r_[1, t], (0, 9 - len(t))) for _, t in pairs], np.int32),
        "targets": np.array([np.pad(np.r_[t, EOS], (0, 9 - len(t))) for _, t in pairs], np.int32),
    }
    packed = packing.pack(split, length=12)
    # Consecutive pairs while both sides fit in 12 tokens: pairs 0 and 1 (sources 4 + 6, targets 5 + 3), pair 2
    # alone (its source would overflow row 0; pair 3's target, 7 + 6, would overflow its row), then pair 3.
    assert len(packed["source"]) == 3
    np.testing.assert_array_equal(packed["source_segments"][0], [1] * 4 + [2] * 6 + [0] * 2)
    np.testing.assert_array_equal(packed["target_positions"][0], [0, 1, 2, 3, 4, 0, 1, 2, 0, 0, 0, 0])
    logits = model.apply(variables, packed["source"], packed["target_inputs"],
                         **{k: packed[k] for k in packing.PACKED_FIELDS})
    row, start = 0, 0
    for index in (0, 1):
        alone = model.apply(variables, split["source"][index:index + 1], split["target_inputs"][index:index + 1])
        n = len(pairs[index][1]) + 1
        np.testing.assert_allclose(logits[row, start:start + n], alone[0, :n], atol=1e-5)
        start += n


def _decode_step_by_step(model, variables, source, target):
    """Logits of `target` fed one position at a time through the decoding cache."""
    decoder = model.clone(decode=True)
    encoded = model.apply(variables, source, method="encode")
    cache = beam_search._zero_cache(model, variables["params"], encoded, source, target.shape[1])
    steps = []
    for t in range(target.shape[1]):
        logits, updated = decoder.apply({**variables, "cache": cache}, encoded, source, target[:, t:t + 1],
                                        offset=t, method="decode_targets", mutable=["cache"])
        cache = updated["cache"]
        steps.append(logits)
    return jnp.concatenate(steps, axis=1)


def test_cached_decoding_equals_uncached():
    model, source, target, variables = _tiny()
    np.testing.assert_allclose(_decode_step_by_step(model, variables, source, target),
                               model.apply(variables, source, target), atol=1e-5)


def _eos_prone(variables, scale):
    """Shared embeddings: scaling EOS's row makes the model end sequences early, at varied lengths."""
    params = jax.tree.map(lambda x: x, variables["params"])
    table = params["source_embed"]["embedding"]
    params["source_embed"]["embedding"] = table.at[EOS].multiply(scale)
    return params


def test_beam_one_equals_greedy_and_wider_beams_score_at_least_as_well():
    model, source, _, variables = _tiny(seed=3)
    params = _eos_prone(variables, 6.0)
    greedy = jax.jit(lambda p: beam_search.greedy_decode(model, p, source, 12))(params)
    beam1 = jax.jit(lambda p: beam_search.beam_search(model, p, source, 12, beam_size=1))(params)
    np.testing.assert_array_equal(beam1, greedy)
    assert np.any(greedy == EOS)  # the test exercises ending hypotheses

    def score(tokens):  # log P(tokens | source) with the length penalty, by teacher forcing
        inputs = jnp.concatenate([jnp.full((tokens.shape[0], 1), 2), tokens[:, :-1]], axis=1)
        log_probs = beam_search.output_log_probs(model.apply({"params": params}, source, inputs))
        picked = jnp.take_along_axis(log_probs, tokens[..., None], axis=-1)[..., 0]
        length = jnp.where(jnp.any(tokens == EOS, axis=1), jnp.argmax(tokens == EOS, axis=1) + 1, tokens.shape[1])
        valid = jnp.arange(tokens.shape[1])[None] < length[:, None]
        return jnp.sum(picked * valid, axis=1) / beam_search.length_penalty(length, 0.6)

    beam4 = beam_search.beam_search(model, params, source, 12, beam_size=4)
    assert np.all(np.asarray(score(beam4)) >= np.asarray(score(greedy)) - 1e-4)


def _tiny_rnn(attention, cell="lstm"):
    from models.seq2seq import RNNEncoderDecoder

    model = RNNEncoderDecoder(vocab_size=30, features=16, embedding_dim=8, attention=attention, cell=cell)
    source = jax.random.randint(jax.random.PRNGKey(0), (3, 7), 4, 30).at[:, 5:].set(0)
    target = jax.random.randint(jax.random.PRNGKey(1), (3, 6), 4, 30)
    return model, source, target, model.init(jax.random.PRNGKey(0), source, target)


@pytest.mark.parametrize("attention", ["none", "bahdanau", "luong"])
def test_rnn_encoder_decoder_cached_decoding_equals_teacher_forcing(attention):
    model, source, target, variables = _tiny_rnn(attention)
    np.testing.assert_allclose(_decode_step_by_step(model, variables, source, target),
                               model.apply(variables, source, target), atol=1e-5)


@pytest.mark.parametrize("attention", ["bahdanau", "luong"])
def test_attention_weights_cover_the_real_source_tokens_only(attention):
    model, source, target, variables = _tiny_rnn(attention, cell="gru")
    weights = model.apply(variables, source, target, method="attention_weights")
    assert weights.shape == (3, 6, 7)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(weights[..., 5:], 0.0)  # the two padding positions


def test_rnn_encoder_decoder_beam_one_equals_greedy():
    model, source, _, variables = _tiny_rnn("bahdanau")
    params = jax.tree.map(lambda x: 4 * x, variables["params"])
    greedy = beam_search.greedy_decode(model, params, source, 10)
    np.testing.assert_array_equal(beam_search.beam_search(model, params, source, 10, beam_size=1), greedy)


def test_packed_rows_with_a_recurrent_model_name_the_fix():
    from train.tasks.translation import Translation

    model, source, target, variables = _tiny_rnn("bahdanau")
    batch = {"source": source, "target_inputs": target, "targets": target,
             **{name: jnp.ones_like(source) for name in packing.PACKED_FIELDS}}
    with pytest.raises(ValueError, match="pack=False"):
        Translation(num_classes=30).train_loss(model, variables["params"], {}, batch, jax.random.PRNGKey(0))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_closed_form_token_losses_equal_optax_and_argmax(smoothing):
    import optax

    from train.tasks.translation import token_losses

    logits = 3 * jax.random.normal(jax.random.PRNGKey(0), (4, 5, 50))
    targets = jax.random.randint(jax.random.PRNGKey(1), (4, 5), 0, 50)
    targets = targets.at[:2].set(jnp.argmax(logits[:2], axis=-1))
    logits = logits.at[3, :3].set(0.0).at[3, 2, 0].set(-1.0)  # exact ties: argmax takes the first index
    targets = targets.at[3, :3].set(jnp.array([0, 5, 1]))

    def reference(z):
        one_hot = jax.nn.one_hot(targets, 50)
        smoothed = optax.smooth_labels(one_hot, smoothing) if smoothing else one_hot
        return optax.softmax_cross_entropy(z, smoothed), optax.softmax_cross_entropy(z, one_hot)

    (loss, nll, correct), (want_loss, want_nll) = token_losses(logits, targets, smoothing), reference(logits)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(nll, want_nll, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(correct, jnp.argmax(logits, axis=-1) == targets)
    assert 0 < correct.sum() < correct.size  # both occur: half the rows take the argmax as target
    assert correct[3, 0] and not correct[3, 1] and correct[3, 2]  # tied at 0: index 0 wins
    grad = jax.grad(lambda z: token_losses(z, targets, smoothing)[0].sum())(logits)
    np.testing.assert_allclose(grad, jax.grad(lambda z: reference(z)[0].sum())(logits), atol=1e-5)
