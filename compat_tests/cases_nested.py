"""Cases for nested inputs, outputs, losses, metrics and loss weights (issue 11 item 3),
shared by generate_nested_fixtures.py (real Keras 3) and test_nested_compat.py (minikeras).

Every function takes the `keras` module to use, so the same code builds the model in Keras
and in minikeras. Models: "dict_io" (dict inputs and outputs whose keys differ from the
layer names), "list_io" (list inputs and outputs), "nested" (outputs [y, [z, w]]), "tuple"
(outputs (y, z)), "single" (one output).
"""

import numpy as np

N = 16


def make_arrays():
    rng = np.random.default_rng(1234)
    return {
        "a": rng.normal(size=(N, 3)).astype(np.float32),
        "b": rng.normal(size=(N, 2)).astype(np.float32),
        "y": rng.normal(size=(N, 1)).astype(np.float32),
        "z": np.eye(3, dtype=np.float32)[rng.integers(0, 3, N)],
        "w": rng.normal(size=(N, 2)).astype(np.float32),
        "sw": rng.uniform(0.2, 2.0, size=(N,)).astype(np.float32),
    }


def _trunk(keras, a, b):
    layers = keras.layers
    h = layers.Concatenate(name="cat")([a, b])
    return layers.Dense(4, activation="tanh", name="h")(h)


def build_model(keras, kind):
    layers = keras.layers
    if kind == "dict_io":
        a = keras.Input((3,), name="in_a")
        b = keras.Input((2,), name="in_b")
        h = _trunk(keras, a, b)
        y = layers.Dense(1, name="yd")(h)
        z = layers.Dense(3, activation="softmax", name="zd")(h)
        return keras.Model(inputs={"a": a, "b": b}, outputs={"y": y, "z": z})
    if kind in ("list_io", "tuple"):
        a = keras.Input((3,), name="a")
        b = keras.Input((2,), name="b")
        h = _trunk(keras, a, b)
        y = layers.Dense(1, name="y")(h)
        z = layers.Dense(3, activation="softmax", name="z")(h)
        outs = [y, z] if kind == "list_io" else (y, z)
        return keras.Model(inputs=[a, b], outputs=outs)
    if kind == "nested":
        a = keras.Input((3,), name="a")
        b = keras.Input((2,), name="b")
        h = _trunk(keras, a, b)
        y = layers.Dense(1, name="y")(h)
        z = layers.Dense(3, activation="softmax", name="z")(h)
        w = layers.Dense(2, name="w")(h)
        return keras.Model(inputs=[a, b], outputs=[y, [z, w]])
    if kind == "subclass_dict":
        return _subclass_dict(keras)
    if kind == "single":
        a = keras.Input((3,), name="a")
        h = layers.Dense(4, activation="tanh", name="h")(a)
        y = layers.Dense(1, name="y")(h)
        return keras.Model(a, y)
    raise ValueError(kind)


def _subclass_dict(keras):
    """A subclassed model with two inputs (a list) returning a dict, built on a batch."""

    class TwoHeads(keras.Model):
        def __init__(self):
            super().__init__()
            self.h = keras.layers.Dense(4, activation="tanh")
            self.y = keras.layers.Dense(1)
            self.z = keras.layers.Dense(3, activation="softmax")

        def call(self, inputs):
            h = self.h(keras.ops.concatenate(inputs, axis=-1))
            return {"y": self.y(h), "z": self.z(h)}

    model = TwoHeads()
    model([np.zeros((1, 3), np.float32), np.zeros((1, 2), np.float32)])
    return model


def initial_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32)
            for w in model.get_weights()]


def x_data(form, arr):
    """The inputs in the form a case feeds them."""
    if form == "dict_keys":
        return {"a": arr["a"], "b": arr["b"]}
    if form == "list":
        return [arr["a"], arr["b"]]
    if form == "dict_names":  # a list-input model fed by Input names
        return {"a": arr["a"], "b": arr["b"]}
    if form == "single":
        return arr["a"]
    raise ValueError(form)


def y_data(form, arr):
    if form == "dict":
        return {"y": arr["y"], "z": arr["z"]}
    if form == "list":
        return [arr["y"], arr["z"]]
    if form == "tuple":
        return (arr["y"], arr["z"])
    if form == "nested":
        return [arr["y"], [arr["z"], arr["w"]]]
    if form == "single":
        return arr["y"]
    if form == "single_dict":
        return {"y": arr["y"]}
    if form == "dict_y_only":  # no target for the output without a loss
        return {"y": arr["y"]}
    if form == "list_y_only":
        return [arr["y"]]
    raise ValueError(form)


# name, model, x form, y form, compile kwargs (all JSON), fit extras
CASES = [
    {"name": "dict_dict_loss", "model": "dict_io", "x": "dict_keys", "y": "dict",
     "compile": {"loss": {"y": "mse", "z": "categorical_crossentropy"},
                 "metrics": {"y": ["mae"], "z": ["accuracy"]}}},
    {"name": "dict_single_loss", "model": "dict_io", "x": "dict_keys", "y": "dict",
     "compile": {"loss": "mse", "metrics": {"y": "mae"}}},
    {"name": "dict_loss_weights_list_metrics", "model": "dict_io", "x": "dict_keys",
     "y": "dict",
     "compile": {"loss": {"y": "mse", "z": "categorical_crossentropy"},
                 "loss_weights": {"y": 0.3, "z": 2.0},
                 "metrics": [["mae"], ["accuracy", "mse"]]}},
    {"name": "dict_partial_loss", "model": "dict_io", "x": "dict_keys", "y": "dict",
     "compile": {"loss": {"y": "mse"}, "metrics": {"z": ["accuracy"]}}},
    {"name": "list_list_loss", "model": "list_io", "x": "list", "y": "list",
     "compile": {"loss": ["mse", "categorical_crossentropy"], "loss_weights": [0.5, 1.5],
                 "metrics": [["mae"], ["accuracy", "mse"]]}},
    {"name": "list_dict_by_name", "model": "list_io", "x": "dict_names", "y": "dict",
     "compile": {"loss": {"y": "mse", "z": "categorical_crossentropy"},
                 "loss_weights": {"y": 2.0, "z": 0.5}, "metrics": {"z": "accuracy"}}},
    {"name": "list_single_loss", "model": "list_io", "x": "list", "y": "list",
     "compile": {"loss": "mse"}},
    {"name": "list_none_loss", "model": "list_io", "x": "list", "y": "list",
     "compile": {"loss": ["mse", None], "metrics": [["mae"], ["accuracy"]]}},
    {"name": "nested_outputs", "model": "nested", "x": "list", "y": "nested",
     "compile": {"loss": ["mse", ["categorical_crossentropy", "mae"]],
                 "loss_weights": [1.0, [0.5, 2.0]],
                 "metrics": [["mae"], [["accuracy"], ["mse"]]]}},
    {"name": "tuple_outputs", "model": "tuple", "x": "list", "y": "tuple",
     "compile": {"loss": ["mse", "categorical_crossentropy"],
                 "metrics": [["mae"], ["accuracy"]]}},
    {"name": "single_dict_loss", "model": "single", "x": "single", "y": "single",
     "compile": {"loss": {"y": "mse"}, "metrics": {"y": ["mae", "mse"]}}},
    {"name": "list_weighted_metrics", "model": "list_io", "x": "list", "y": "list",
     "compile": {"loss": ["mse", "categorical_crossentropy"],
                 "metrics": {"y": ["mae"]}, "weighted_metrics": {"y": ["mae"], "z": ["mse"]}},
     "sample_weight": True},
    {"name": "subclass_dict_outputs", "model": "subclass_dict", "x": "list", "y": "dict",
     "compile": {"loss": {"y": "mse", "z": "categorical_crossentropy"},
                 "loss_weights": {"y": 1.0, "z": 0.5},
                 "metrics": {"y": ["mae"], "z": ["accuracy"]}}},
    {"name": "dict_targets_only_for_losses", "model": "dict_io", "x": "dict_keys",
     "y": "dict_y_only", "compile": {"loss": {"y": "mse"}}},
    {"name": "list_targets_only_for_losses", "model": "list_io", "x": "list",
     "y": "list_y_only", "compile": {"loss": ["mse", None]}},
    {"name": "single_steps_per_execution", "model": "single", "x": "single", "y": "single",
     "compile": {"loss": "mse", "metrics": ["mae"], "steps_per_execution": 3},
     "fit": {"batch_size": 2}},
]

# compile arguments Keras 3 refuses, with the exception type it raises (at compile or at
# the first batch)
ERROR_CASES = [
    {"name": "flat_metrics_for_two_outputs", "model": "list_io", "x": "list", "y": "list",
     "compile": {"loss": "mse", "metrics": ["mae"]}},
    {"name": "partial_loss_dict_for_list_outputs", "model": "list_io", "x": "list",
     "y": "list", "compile": {"loss": {"y": "mse"}}},
    {"name": "loss_dict_unknown_key", "model": "dict_io", "x": "dict_keys", "y": "dict",
     "compile": {"loss": {"y": "mse", "q": "mse"}}},
    {"name": "loss_list_too_long", "model": "list_io", "x": "list", "y": "list",
     "compile": {"loss": ["mse", "mse", "mse"]}},
    {"name": "metric_list_in_list_for_dict_key", "model": "dict_io", "x": "dict_keys",
     "y": "dict", "compile": {"loss": "mse", "metrics": {"y": ["mae"], "z": [["accuracy"]]}}},
]


def compile_kwargs(keras, case):
    kw = dict(case["compile"])
    for k in ("loss", "loss_weights", "metrics"):
        if k in kw and isinstance(kw[k], list) and case["name"] == "tuple_outputs" and \
                k == "loss":
            kw[k] = tuple(kw[k])
    kw["optimizer"] = keras.optimizers.SGD(learning_rate=0.1)
    return kw


def optional_input_layer(keras):
    """A layer adding its optional second input when given (Keras' functional_test)."""

    class AddIfGiven(keras.layers.Layer):
        def call(self, x, y=None):
            if y is not None:
                return x + y
            return x

        def compute_output_shape(self, x_shape, y_shape=None):
            return x_shape

    return AddIfGiven


def build_optional(keras):
    x1 = keras.Input((2,), name="x1")
    x2 = keras.Input((2,), name="x2", optional=True)
    out = optional_input_layer(keras)(name="add_if_given")(x1, x2)
    return keras.Model([x1, x2], out)


# Attributes of models before they are built or compiled (issue 11 item 4: `hasattr` as Keras)
UNBUILT_ATTRIBUTES = ["weights", "trainable_weights", "non_trainable_weights", "variables",
                      "layers", "inputs", "outputs", "input_shape", "output_shape", "built",
                      "metrics", "metrics_names", "losses", "loss", "compiled", "input_spec",
                      "input", "output"]


def unbuilt_models(keras):
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    yield "sequential_no_input", keras.Sequential([keras.layers.Dense(2)])
    yield "sequential_with_input", keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    yield "sequential_empty", keras.Sequential()
    yield "subclassed", Sub()


def describe_attribute(model, attr):
    """("raises", exception type) or ("value", what it is: a list's length, else repr)."""
    try:
        v = getattr(model, attr)
    except Exception as e:  # noqa: BLE001 - the type is what is recorded
        return ["raises", type(e).__name__]
    if isinstance(v, (list, tuple)) and attr not in ("input_shape", "output_shape"):
        return ["value", f"list of {len(v)}"]
    return ["value", repr(v) if v is None or isinstance(v, (bool, tuple)) else "object"]
