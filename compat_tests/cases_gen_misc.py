"""Small cases of issue 10's bug fixes, shared by generate_gen_misc_fixtures.py (real Keras)
and test_gen_misc_compat.py (minikeras):

- a model compiled with a custom metric function, saved to .h5 by Keras 2 or 3, reloaded with
  `load_model(path, custom_objects={"my_metric": my_metric})`;
- `Normalization.mean` / `.variance` after `adapt` (Keras 3);
- Keras 2.2's `Adam(lr=..., beta_1=..., beta_2=..., epsilon=None, decay=0.0, amsgrad=False)`.
"""

import numpy as np


def make_my_metric(keras):
    """The custom metric: with `keras.ops` where it exists (Keras 3, minikeras), else with
    the backend functions a Keras 2 course uses."""
    K = getattr(keras, "ops", None) or keras.backend

    def my_metric(y_true, y_pred):
        return K.mean(K.abs(y_true - y_pred), axis=-1)

    return my_metric


def data(seed=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = (x @ rng.normal(size=(3, 1)) + 0.1 * rng.normal(size=(24, 1))).astype("float32")
    return x, y


def metric_model(keras):
    model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,),
                                                 name="h"),
                              keras.layers.Dense(1, name="o")])
    # "mean_squared_error": Keras 3.15 cannot reload its own .h5 compiled with "mse"
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=[make_my_metric(keras)])
    return model


NORMALIZATION = {
    "features_last": {"kwargs": {}, "shape": [10, 3]},
    "axis_none": {"kwargs": {"axis": None}, "shape": [10, 3]},
    "image_axes": {"kwargs": {"axis": [1, 2]}, "shape": [6, 2, 3]},
    "last_of_3d": {"kwargs": {"axis": -1}, "shape": [6, 2, 3]},
}


def normalization_data(name):
    rng = np.random.default_rng(len(name))
    return (rng.normal(size=NORMALIZATION[name]["shape"]) * 3 + 1).astype("float32")


def adam_keras22(optimizers):
    """The Keras 2.2 documented signature (from the Keras 2 optimizers module given)."""
    return optimizers.Adam(lr=0.01, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0,
                           amsgrad=False)
