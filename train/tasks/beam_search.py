"""Greedy and beam-search decoding for encoder-decoder models, compiled, with the decoder's key/value (or
recurrent state) cache.

A model decodes through two methods: `encode(source)` and `decode_targets(encoded, source, target_inputs,
offset=i)`, the latter on a clone with `decode=True` reading one position per call and keeping its state in the
"cache" collection. Beam search follows Wu et al. (2016), section 7, as the Transformer paper uses it (section
6.1: beam 4, length penalty alpha = 0.6): hypotheses are ranked by log P(y) / lp(y), lp(y) = ((5 + |y|) / 6)^alpha.
As in fairseq, a hypothesis ends when EOS is among the step's best `beam_size` candidates, and a source is done
once `beam_size` hypotheses have ended; so beam 1 is greedy decoding exactly (tested).
"""

import jax
import jax.numpy as jnp

from input_pipeline.tokenizers import BOS, EOS, PAD

NEG_INF = -1.0e7


def _decoder(model):
    return model.clone(decode=True, dropout_rate=0.0) if hasattr(model, "dropout_rate") else model.clone(decode=True)


def _zero_cache(model, params, encoded, source, max_length):
    decoder = _decoder(model)
    shapes = jax.eval_shape(
        lambda: decoder.init(jax.random.PRNGKey(0), encoded, source,
                             jnp.zeros((source.shape[0], max_length), jnp.int32), method="decode_targets"))
    return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes["cache"])


def output_log_probs(logits):
    """Log-probabilities over the tokens a decoder may emit: never PAD or BOS."""
    logits = logits.astype(jnp.float32).at[..., PAD].set(-jnp.inf).at[..., BOS].set(-jnp.inf)
    return jax.nn.log_softmax(logits)


def _step_fn(model, params, encoded, source):
    decoder = _decoder(model)

    def tokens_to_log_probs(tokens, cache, position):
        logits, updated = decoder.apply({"params": params, "cache": cache}, encoded, source, tokens[:, None],
                                        offset=position, method="decode_targets", mutable=["cache"])
        return output_log_probs(logits[:, 0]), updated["cache"]

    return tokens_to_log_probs


def greedy_decode(model, params, source, max_length: int):
    """(batch, max_length) ids: the most likely token at each step, PAD after EOS."""
    encoded = model.apply({"params": params}, source, method="encode")
    step = _step_fn(model, params, encoded, source)
    batch = source.shape[0]

    def body(i, carry):
        tokens, last, done, cache = carry
        log_probs, cache = step(last, cache, i)
        token = jnp.where(done, PAD, jnp.argmax(log_probs, axis=-1))
        return tokens.at[:, i].set(token), token, done | (token == EOS), cache

    init = (jnp.zeros((batch, max_length), jnp.int32), jnp.full((batch,), BOS, jnp.int32),
            jnp.zeros((batch,), bool), _zero_cache(model, params, encoded, source, max_length))
    return jax.lax.fori_loop(0, max_length, body, init)[0]


def length_penalty(length, alpha: float):
    return ((5.0 + length) / 6.0) ** alpha


def beam_search(model, params, source, max_length: int, beam_size: int = 4, alpha: float = 0.6):
    """(batch, max_length) ids of the best-scoring hypothesis per source (PAD after its EOS)."""
    batch = source.shape[0]

    def tile(x):  # (batch, ...) -> (batch * beam, ...)
        return jnp.repeat(x, beam_size, axis=0)

    encoded = model.apply({"params": params}, source, method="encode")
    encoded, source_tiled = jax.tree.map(tile, encoded), tile(source)
    step = _step_fn(model, params, encoded, source_tiled)
    cache = _zero_cache(model, params, encoded, source_tiled, max_length)

    # Only the first beam is alive at the start (all beams would otherwise be the same hypothesis).
    alive_log_probs = jnp.tile(jnp.array([0.0] + [NEG_INF] * (beam_size - 1)), (batch, 1))
    alive = jnp.zeros((batch, beam_size, max_length), jnp.int32)
    finished = jnp.zeros((batch, beam_size, max_length), jnp.int32)
    finished_scores = jnp.full((batch, beam_size), NEG_INF)

    def gather(x, beams):  # x (batch, beam, ...), beams (batch, k) -> (batch, k, ...)
        return jnp.take_along_axis(x, beams.reshape(*beams.shape, *([1] * (x.ndim - 2))), axis=1)

    def body(i, carry):
        alive, alive_log_probs, finished, finished_scores, cache = carry
        last = jnp.where(i == 0, BOS, alive[:, :, jnp.maximum(i - 1, 0)]).reshape(-1)
        log_probs, cache = step(last, cache, i)
        vocab = log_probs.shape[-1]
        candidates = (alive_log_probs[..., None] + log_probs.reshape(batch, beam_size, vocab)).reshape(batch, -1)
        # 2 x beam candidates: enough that beam_size of them do not end here.
        scores, flat = jax.lax.top_k(candidates, 2 * beam_size)
        beams, tokens = flat // vocab, flat % vocab
        sequences = gather(alive, beams).at[:, :, i].set(tokens)
        ends = tokens == EOS

        # Hypotheses that end here (among the best beam_size candidates, and while the source still needs
        # finished ones) join the finished ones, scored with the length penalty.
        done = jnp.sum(finished_scores > NEG_INF / 2, axis=1) >= beam_size
        among_best = jnp.arange(2 * beam_size)[None, :] < beam_size
        new_scores = jnp.where(ends & among_best & ~done[:, None], scores / length_penalty(i + 1.0, alpha), NEG_INF)
        all_finished = jnp.concatenate([finished, sequences], axis=1)
        all_scores = jnp.concatenate([finished_scores, new_scores], axis=1)
        finished_scores, keep = jax.lax.top_k(all_scores, beam_size)
        finished = gather(all_finished, keep)

        # The best beam_size that continue stay alive; their caches follow them.
        alive_scores, keep = jax.lax.top_k(jnp.where(ends, NEG_INF, scores), beam_size)
        alive = gather(sequences, keep)
        source_beams = jnp.take_along_axis(beams, keep, axis=1)  # (batch, beam) indices into the old beams
        flat_index = (jnp.arange(batch)[:, None] * beam_size + source_beams).reshape(-1)
        cache = jax.tree.map(lambda c: c[flat_index] if c.ndim and c.shape[0] == batch * beam_size else c, cache)
        return alive, alive_scores, finished, finished_scores, cache

    alive, alive_log_probs, finished, finished_scores, _ = jax.lax.fori_loop(
        0, max_length, body, (alive, alive_log_probs, finished, finished_scores, cache))
    # A source with no finished hypothesis (none reached EOS) returns its best unfinished one.
    none_finished = finished_scores[:, 0] <= NEG_INF / 2
    best = jnp.where(none_finished[:, None], alive[:, 0], finished[:, 0])
    after_eos = jnp.cumsum(jnp.cumsum(best == EOS, axis=1), axis=1) > 1
    return jnp.where(after_eos, PAD, best)
