"""Models whose `summary()` text is compared with Keras 3's (generate_summary_fixtures.py
writes Keras' text; test_summary_compat.py prints minikeras' and compares).

Every builder takes the `keras` module and returns (model, summary kwargs). Names are given
explicitly so that the text does not depend on auto-naming counters. Terminal width: the
generator and the test both set COLUMNS=80, so Keras' default line length is 76.
"""

import numpy as np

LONG = "a_rather_long_layer_name_for_wrapping_tests"


def _mlp(keras, name="mlp"):
    return keras.Sequential([keras.Input((784,)),
                             keras.layers.Dense(1000, activation="relu", name=LONG),
                             keras.layers.Dense(10, activation="softmax", name="out")],
                            name=name)


def _train(keras, model, optimizer, loss, x, y):
    model.compile(optimizer=optimizer, loss=loss)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return model


def mlp_fresh(keras):
    return _mlp(keras), {}


def mlp_after_adam(keras):
    rng = np.random.default_rng(0)
    model = _train(keras, _mlp(keras), keras.optimizers.Adam(learning_rate=1e-3),
                   "sparse_categorical_crossentropy",
                   rng.normal(size=(8, 784)).astype("float32"), np.arange(8) % 10)
    return model, {}


def mlp_compiled_not_trained(keras):
    model = _mlp(keras)
    model.compile(optimizer="adam", loss="mse")
    return model, {}


def functional_branches(keras):
    i = keras.Input((5,), name="inp")
    a = keras.layers.Dense(3, name="d1")(i)
    b = keras.layers.Dense(2, name="d2")(i)
    c = keras.layers.Concatenate(name="concatenate_branches")([a, b])
    out = keras.layers.Dense(1, name="head")(c)
    return keras.Model(i, out, name="branches"), {}


def functional_branches_wide(keras):
    model, _ = functional_branches(keras)
    return model, {"line_length": 120}


def functional_chain(keras):
    i = keras.Input((6,), name="x")
    h = keras.layers.Dense(4, activation="relu", name="hidden")(i)
    out = keras.layers.Dense(1, name="y")(h)
    return keras.Model(i, out, name="chain"), {}


def batchnorm_sgd_momentum(keras):
    model = keras.Sequential([keras.Input((20,)),
                              keras.layers.Dense(64, name="dense_in"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dropout(0.5, name="drop"),
                              keras.layers.Dense(1, name="dense_out")], name="bn_model")
    rng = np.random.default_rng(1)
    _train(keras, model, keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), "mse",
           rng.normal(size=(8, 20)).astype("float32"),
           rng.normal(size=(8, 1)).astype("float32"))
    return model, {}


def narrow_line(keras):
    model, _ = batchnorm_sgd_momentum(keras)
    return model, {"line_length": 60}


def lazy_unbuilt(keras):
    return keras.Sequential([keras.layers.Dense(4, name="first"),
                             keras.layers.Dense(2, name="second")], name="lazy"), {}


def _nested(keras):
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="i1"),
                              keras.layers.Dense(2, name="i2")], name="inner")
    x = keras.Input((4,), name="x")
    model = keras.Model(x, keras.layers.Dense(1, name="o")(inner(x)), name="outer")
    model.layers[-1].trainable = False
    return model


def nested_expanded_trainable(keras):
    return _nested(keras), {"expand_nested": True, "show_trainable": True}


def nested_layer_range(keras):
    return _nested(keras), {"layer_range": ["inner", "o"]}


CASES = {f.__name__: f for f in (mlp_fresh, mlp_after_adam, mlp_compiled_not_trained,
                                 functional_branches, functional_branches_wide,
                                 functional_chain, batchnorm_sgd_momentum, narrow_line,
                                 lazy_unbuilt, nested_expanded_trainable,
                                 nested_layer_range)}

# Files saved by Keras 3 after training (model + Adam state), summarised after loading.
FILE_CASES = {"adam_mlp_h5": "adam_mlp.h5", "adam_mlp_keras": "adam_mlp.keras"}


def file_model(keras):
    """The model saved into the FILE_CASES files (by the generator, with Keras 3)."""
    rng = np.random.default_rng(2)
    model = keras.Sequential([keras.Input((12,)),
                              keras.layers.Dense(120, activation="relu", name="wide"),
                              keras.layers.Dense(3, activation="softmax", name="probs")],
                             name="saved_mlp")
    return _train(keras, model, keras.optimizers.Adam(learning_rate=1e-3),
                  "sparse_categorical_crossentropy",
                  rng.normal(size=(8, 12)).astype("float32"), np.arange(8) % 3)


def capture(model, kwargs):
    """The summary text: Keras 3 calls a custom print_fn once with the whole text."""
    chunks = []
    model.summary(print_fn=lambda text, *a, **k: chunks.append(text), **kwargs)
    return "".join(chunks)
