"""LeNet-5's trainable subsampling layers S2 and S4 (LeCun et al. 1998, section II.B)."""

import flax.linen as nn
import jax

from models.layers.initializers import uniform_over_fan_in


def window_sums(x: jax.Array, window: int) -> jax.Array:
    """The sum of each non-overlapping `window` x `window` block of x (batch, height, width, maps), per map."""
    return nn.pool(x, 0.0, jax.lax.add, (window, window), (window, window), "VALID")


class TrainableSubsampling(nn.Module):
    """Sum of each non-overlapping window, times a trainable coefficient, plus a trainable bias, per map.

    "The four inputs to a unit in S2 are added, then multiplied by a trainable coefficient, and added to a
    trainable bias" (LeCun et al. 1998, II.B): 2 free parameters per map. The squashing function is applied by
    the caller. `weigh` is the second half alone (coefficient and bias applied to given window sums): the sum is
    the one input the coefficient multiplies, which is how the paper's curvature estimate sees it (train/sdlm.py).
    """

    window: int = 2
    coefficient_init: object = uniform_over_fan_in()

    @nn.compact
    def weigh(self, summed: jax.Array) -> jax.Array:  # summed: window sums (batch, height, width, maps)
        maps = summed.shape[-1]
        fan_in = self.window * self.window
        coefficient = self.param(
            "coefficient", lambda key, shape: self.coefficient_init(key, shape, fan_in=fan_in), (maps,)
        )
        bias = self.param("bias", nn.initializers.zeros, (maps,))
        return summed * coefficient + bias

    def __call__(self, x: jax.Array) -> jax.Array:  # x: (batch, height, width, maps)
        return self.weigh(window_sums(x, self.window))
