"""LeNet-5's trainable subsampling layers S2 and S4 (LeCun et al. 1998, section II.B)."""

import flax.linen as nn
import jax

from models.layers.initializers import uniform_over_fan_in


class TrainableSubsampling(nn.Module):
    """Sum of each non-overlapping window, times a trainable coefficient, plus a trainable bias, per map.

    "The four inputs to a unit in S2 are added, then multiplied by a trainable coefficient, and added to a
    trainable bias" (LeCun et al. 1998, II.B): 2 free parameters per map. The squashing function is applied by
    the caller.
    """

    window: int = 2
    coefficient_init: object = uniform_over_fan_in()

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:  # x: (batch, height, width, maps)
        maps = x.shape[-1]
        fan_in = self.window * self.window
        coefficient = self.param(
            "coefficient", lambda key, shape: self.coefficient_init(key, shape, fan_in=fan_in), (maps,)
        )
        bias = self.param("bias", nn.initializers.zeros, (maps,))
        window = (self.window, self.window)
        summed = nn.pool(x, 0.0, jax.lax.add, window, window, "VALID")
        return summed * coefficient + bias


