"""The user's layer of the custom-layer file cases, for whichever Keras is given.

`ScaledDense` defines no `get_config`: Keras 3 and minikeras write its constructor
arguments (units, scale) into the config by themselves. The same definition serves the
real-Keras scripts (generate_model_files.py, check_minikeras_files_in_keras.py, which never
import minikeras) and minikeras' tests (which never import Keras): pass the module.
"""


def custom_objects(keras) -> dict:
    """{"ScaledDense": the class, built on `keras` (Keras 3, tf_keras or minikeras)}."""
    ops = getattr(keras, "ops", None)
    matmul = ops.matmul if ops is not None else keras.backend.dot

    class ScaledDense(keras.layers.Layer):
        def __init__(self, units, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.scale = scale

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform", name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, x):
            return matmul(x, self.kernel) * self.scale + self.bias

    return {"ScaledDense": ScaledDense}
