#!/usr/bin/env python
"""Record real Keras 3's configs, serialized forms, dtype rules, error messages and the
config of functional models built with arithmetic/`keras.ops` on KerasTensors.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_config_fixtures.py
    /work/venvs/k2/bin/python compat_tests/generate_config_fixtures.py --keras 2

Writes `compat_tests/fixtures/configs_k3.json` and the model files in
`compat_tests/files/surface_k3/`; with `--keras 2` (tf_keras), `fixtures/configs_k2.json`
and `files/surface_k2/`: functional models with TensorFlow ops on Keras tensors, which
tf.keras saves as TFOpLambda/SlicingOpLambda layers. Nothing here is typed by hand or computed with minikeras;
`compat_tests/test_surface_config.py` and `test_surface_ops_models.py` read them.

Sections of the JSON:

- `configs`: for every public class of keras.layers, losses, metrics, optimizers,
  optimizers.schedules, initializers, regularizers and constraints that Keras can build
  from plain arguments: the arguments used (`kwargs`: every argument with a plain default
  changed from its default where Keras accepts the change, see `_mutations`), Keras'
  `serialize_keras_object(obj)` (module, class_name, config, registered_name).
- `functions`: `serialize_keras_object(f)` of every public activation, loss and metric
  function.
- `plain`: `serialize_keras_object` of plain values (None, str, numbers, lists, numpy).
- `standardize_dtype`, `result_type`: Keras' answers; `result_type_x64` are the same rules
  with Keras' TensorFlow-backend widths (64-bit kept, Python int = int64), which minikeras
  follows (see minikeras/backend/dtypes.py).
- `errors`: the type and message of errors users match on.
- `ops_models`: functional models with arithmetic and keras.ops on KerasTensors: their
  config (as Keras 3 writes it), inputs and Keras' predictions.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "configs_k3.json")
FILES = os.path.join(HERE, "files", "surface_k3")

NAMESPACES = ["layers", "losses", "metrics", "optimizers", "optimizers.schedules",
              "initializers", "regularizers", "constraints"]

# Arguments that have no plain default (or whose default Keras rejects changing blindly),
# by name: the value used for every class that takes them.
REQUIRED = {
    "units": 3, "filters": 2, "kernel_size": 2, "pool_size": 2, "rate": 0.3,
    "stddev": 0.2, "n": 2, "target_shape": [2, 3], "dims": [2, 1], "size": 2,
    "cropping": 1, "padding": 1, "input_dim": 5, "output_dim": 3, "num_classes": 3,
    "num_thresholds": 50, "thresholds": 0.3, "initial_learning_rate": 0.1,
    "decay_steps": 10, "decay_rate": 0.9, "boundaries": [5, 10], "values": [0.1, 0.05, 0.01],
    "first_decay_steps": 10, "max_value": 2.0, "l1": 0.01, "l2": 0.02, "factor": 0.1,
    "min_value": -1.0, "value": 0.5, "scale": 0.5, "offset": 0.1, "height": 4, "width": 4,
    "num_heads": 2, "key_dim": 2, "class_id": 1, "top_k": 2, "recall": 0.5,
    "precision": 0.5, "specificity": 0.5, "sensitivity": 0.5, "target_class_ids": [0, 1],
    "dtype": None, "seed": 7, "max_tokens": None, "shape": [3], "activation": "tanh",
}
# Names whose default is changed to this value (instead of the automatic rule).
MUTATE = {
    "activation": "relu", "reduction": "sum", "name": "custom_name",
    "kernel_regularizer": "l2", "bias_initializer": "ones", "kernel_initializer": "he_normal",
    "kernel_constraint": "non_neg", "axis": 0, "mode": "fan_out", "distribution": "uniform",
    "data_format": None, "interpolation": None, "label_smoothing": 0.1, "from_logits": True,
}
# What never gets a changed value (dtype policies are another area; these would need data).
KEEP = {"dtype", "autocast", "input_shape", "batch_input_shape", "batch_size", "sparse",
        "ragged", "lora_rank", "lora_alpha", "quantization_config", "mask_value", "data_format",
        "gradient_accumulation_steps", "loss_scale_factor", "ema_overwrite_frequency",
        "use_ema", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
        "fill_mode", "fill_value", "input_axes", "output_axes"}
# classes that cannot be built from plain arguments
SKIP = {"Layer", "Lambda", "InputSpec", "Wrapper", "Bidirectional",
        "TimeDistributed", "RNN", "StackedRNNCells", "Loss", "Metric", "Optimizer",
        "LearningRateSchedule", "Initializer", "Regularizer", "Constraint", "Input",
        "LossScaleOptimizer", "MeanMetricWrapper", "Reduction", "TFSMLayer", "Pipeline",
        "JaxLayer", "FlaxLayer", "TorchModuleWrapper"}


def _json(x):
    return json.loads(json.dumps(x, default=_default))


def _default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    return repr(o)


def _mutations(cls):
    """({required args}, {name: changed value}) for a class, from its signature."""
    sig = inspect.signature(cls.__init__)
    required, mutated = {}, {}
    for pname, p in list(sig.parameters.items())[1:]:
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if p.default is p.empty:
            if pname in REQUIRED:
                required[pname] = REQUIRED[pname]
            else:
                return None, None
            continue
        if pname in KEEP:
            continue
        d = p.default
        if pname in MUTATE and MUTATE[pname] != d and MUTATE[pname] is not None:
            mutated[pname] = MUTATE[pname]
        elif isinstance(d, bool):
            mutated[pname] = not d
        elif isinstance(d, int) and pname != "axis":
            mutated[pname] = d + 1
        elif isinstance(d, float):
            mutated[pname] = round(d * 0.5 + 0.05, 6) if d else 0.1
        elif d is None and pname in REQUIRED and REQUIRED[pname] is not None:
            mutated[pname] = REQUIRED[pname]
    return required, mutated


def _build(cls, required, mutated):
    """The instance with as many changed arguments as Keras accepts together."""
    def make(kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = cls(**kw)
            obj.get_config()
            return obj

    kwargs = {**required, **mutated}
    try:
        return make(kwargs), kwargs
    except Exception:
        pass
    good = {}
    for k, v in mutated.items():
        try:
            make({**required, **good, k: v})
            good[k] = v
        except Exception:
            continue
    kwargs = {**required, **good}
    return make(kwargs), kwargs


def record_configs(keras):
    out, failed = {}, {}
    for ns in NAMESPACES:
        module = keras
        for part in ns.split("."):
            module = getattr(module, part)
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or not inspect.isclass(obj) or name in SKIP:
                continue
            if not hasattr(obj, "get_config"):
                continue
            required, mutated = _mutations(obj)
            if required is None:
                failed[f"{ns}.{name}"] = "needs an argument without a plain value"
                continue
            try:
                inst, kwargs = _build(obj, required, mutated)
                ser = keras.saving.serialize_keras_object(inst)
            except Exception as e:  # noqa: BLE001
                failed[f"{ns}.{name}"] = f"{type(e).__name__}: {str(e)[:200]}"
                continue
            out[f"{ns}.{name}"] = {"kwargs": _json(kwargs), "serialized": _json(ser)}
    return out, failed


def record_functions(keras):
    out = {}
    for ns in ("activations", "losses", "metrics"):
        module = getattr(keras, ns)
        for name in sorted(dir(module)):
            obj = getattr(module, name)
            if name.startswith("_") or inspect.isclass(obj) or not inspect.isfunction(obj):
                continue
            if name in ("get", "serialize", "deserialize"):
                continue
            out[f"{ns}.{name}"] = _json(keras.saving.serialize_keras_object(obj))
    return out


def record_plain(keras):
    S = keras.saving.serialize_keras_object
    cases = {"none": None, "str": "relu", "int": 3, "float": 0.5, "bool": True,
             "list": [1, 2], "tuple": (1, 2), "dict": {"a": 1, "b": [1.5]},
             "np_float32": np.float32(2.0), "np_array": np.array([1, 2], dtype="int64"),
             "np_array_f32": np.array([[1.5, 2.0]], dtype="float32")}
    return {k: _json(S(v)) for k, v in cases.items()}


def record_dtypes(keras):
    from keras.src.backend.common import dtypes as D

    names = ["bool", "uint8", "uint16", "uint32", "int8", "int16", "int32", "int64",
             "bfloat16", "float16", "float32", "float64"]
    py = {"int": int, "float": float, "bool": bool}
    std = {}
    for label, v in {**{n: n for n in names}, **py, "None": None,
                     "np.float64": np.float64, "np.dtype(int16)": np.dtype("int16")}.items():
        try:
            std[label] = keras.backend.standardize_dtype(v)
        except Exception as e:  # noqa: BLE001
            std[label] = f"{type(e).__name__}: {e}"
    for bad in ("float128", "object", "str8"):
        try:
            keras.backend.standardize_dtype(bad)
            std[bad] = "accepted"
        except Exception as e:  # noqa: BLE001
            std[bad] = f"{type(e).__name__}: {e}"
    checks = {n: [keras.backend.is_float_dtype(n), keras.backend.is_int_dtype(n)]
              for n in names}
    operands = names + ["int", "float"]

    def table():
        res = {}
        for a in operands:
            for b in operands:
                try:
                    res[f"{a},{b}"] = keras.backend.result_type(py.get(a, a), py.get(b, b))
                except Exception as e:  # noqa: BLE001
                    res[f"{a},{b}"] = f"{type(e).__name__}"
        for one in operands:
            res[one] = keras.backend.result_type(py.get(one, one))
        res["()"] = keras.backend.result_type()
        res["int8,uint8,float16"] = keras.backend.result_type("int8", "uint8", "float16")
        return res

    jax_table = table()
    # Keras' TensorFlow backend widths: the only backend-dependent tables of the module.
    saved = (dict(D.BIT64_TO_BIT32_DTYPE), dict(D.PYTHON_DTYPES_MAP))
    D.BIT64_TO_BIT32_DTYPE.clear()
    D.PYTHON_DTYPES_MAP.update({int: "int64", "int": "int64", complex: "complex128"})
    D._least_upper_bound.cache_clear()
    try:
        x64_table = table()
        std_x64_int = keras.backend.standardize_dtype(int)
    finally:
        D.BIT64_TO_BIT32_DTYPE.update(saved[0])
        D.PYTHON_DTYPES_MAP.update(saved[1])
    return {"standardize_dtype": std, "standardize_dtype_int_x64": std_x64_int,
            "is_float_is_int": checks, "result_type": jax_table, "result_type_x64": x64_table}


def record_errors(keras):
    out = {}

    def catch(label, fn):
        try:
            fn()
            out[label] = None
        except Exception as e:  # noqa: BLE001
            out[label] = [type(e).__name__, str(e)]

    catch("loss_reduction", lambda: keras.losses.MeanSquaredError(reduction="foo"))
    catch("dropout_rate_high", lambda: keras.layers.Dropout(1.5))
    catch("dropout_rate_negative", lambda: keras.layers.Dropout(-0.1))
    catch("dropout_rate_str", lambda: keras.layers.Dropout("a"))
    catch("dropout_noise_shape_int", lambda: keras.layers.Dropout(0.5, noise_shape=3))
    catch("dropout_noise_shape_str", lambda: keras.layers.Dropout(0.5, noise_shape="ab"))
    catch("optimizer_clipnorm_clipvalue",
          lambda: keras.optimizers.SGD(clipnorm=1.0, clipvalue=1.0))
    catch("optimizer_clipnorm_global",
          lambda: keras.optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0))
    catch("optimizer_unknown_kwarg", lambda: keras.optimizers.SGD(foo=1))
    catch("optimizer_lr_kwarg", lambda: keras.optimizers.SGD(lr=0.1))
    catch("dense_units_zero", lambda: keras.layers.Dense(0))
    catch("dense_units_negative", lambda: keras.layers.Dense(-3))
    catch("layer_unknown_kwarg", lambda: keras.layers.Dense(3, foo=1))
    catch("deserialize_unknown_class", lambda: keras.saving.deserialize_keras_object(
        {"class_name": "NoSuchThing", "config": {}, "module": None,
         "registered_name": "NoSuchThing"}))
    catch("deserialize_lambda_safe", lambda: keras.saving.deserialize_keras_object(
        {"class_name": "__lambda__", "config": {"value": "x"}}))
    catch("activation_unknown", lambda: keras.activations.get("nope"))
    catch("loss_unknown", lambda: keras.losses.get("nope"))
    catch("optimizer_unknown", lambda: keras.optimizers.get("nope"))
    catch("initializer_unknown", lambda: keras.initializers.get("nope"))
    catch("regularizer_l2_negative", lambda: keras.regularizers.L2(-1.0))
    catch("metric_unknown", lambda: keras.metrics.get("nope"))
    return out


def _ops_models(keras):
    """name -> (model, x list). Each uses arithmetic or keras.ops on KerasTensors."""
    ops = keras.ops
    rng = np.random.default_rng(11)
    models = {}

    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(3, name="d1")(a)
    out = h * 2.0 + ops.mean(h, axis=-1, keepdims=True) - 1.0
    models["arith_mean"] = (keras.Model(a, out), [rng.normal(size=(5, 4)).astype("float32")])

    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    h = keras.layers.Dense(3, name="d1")(a)
    out = keras.layers.Dense(2, name="d2")(ops.tanh(h) * b + ops.exp(-ops.abs(b)))
    models["two_inputs_ops"] = (keras.Model([a, b], out),
                                [rng.normal(size=(5, 4)).astype("float32"),
                                 rng.normal(size=(5, 3)).astype("float32")])

    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(4, name="d1")(a)
    out = ops.sum(ops.square(h - a), axis=1, keepdims=True) / 4.0 + ops.maximum(h, 0.0)[:, :1]
    models["square_sum_slice"] = (keras.Model(a, out),
                                  [rng.normal(size=(5, 4)).astype("float32")])

    a = keras.Input((6,), name="a")
    h = ops.reshape(a, (-1, 2, 3))
    h = ops.transpose(h, (0, 2, 1))
    out = keras.layers.Dense(2, name="d1")(ops.reshape(h, (-1, 6)) ** 2)
    models["reshape_transpose_pow"] = (keras.Model(a, out),
                                       [rng.normal(size=(5, 6)).astype("float32")])

    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(3, name="d1")(a)
    out = ops.concatenate([h, ops.sigmoid(h), ops.matmul(a, ops.ones((4, 2)))], axis=-1)
    models["concat_matmul"] = (keras.Model(a, out),
                               [rng.normal(size=(5, 4)).astype("float32")])
    return models


def record_ops_models(keras):
    os.makedirs(FILES, exist_ok=True)
    out = {}
    for name, (model, xs) in _ops_models(keras).items():
        rng = np.random.default_rng(5)
        weights = [rng.uniform(-0.5, 0.5, size=w.shape).astype("float32")
                   for w in model.get_weights()]
        model.set_weights(weights)
        pred = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        path = os.path.join(FILES, f"{name}.keras")
        model.save(path)
        h5_path = os.path.join(FILES, f"{name}.h5")  # Keras 3's legacy form drops `module`
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.save(h5_path)
        out[name] = {"config": _json(model.get_config()),
                     "serialized": _json(keras.saving.serialize_keras_object(model)),
                     "x": [x.tolist() for x in xs],
                     "weights": [w.tolist() for w in weights],
                     "pred": np.asarray(pred).tolist(),
                     "file": os.path.relpath(path, HERE),
                     "file_h5": os.path.relpath(h5_path, HERE)}
    return out


def record_ops_table(keras):
    """For each keras.ops function, the Operation class its symbolic call builds (read from
    the function's source: `return Cls(init...).symbolic_call(call...)` or
    `Cls(init...)(call...)`): class name, module, which function parameter feeds each
    constructor argument, and which are the call's arguments."""
    import re

    out = {}
    pattern = re.compile(r"return\s+(\w+)\(\s*(.*?)\)(?:\.symbolic_call)?\((.*?)\)\s*$",
                         re.S | re.M)
    for name in sorted(dir(keras.ops)):
        fn = getattr(keras.ops, name)
        if name.startswith("_") or not inspect.isfunction(fn):
            continue
        try:
            src = inspect.getsource(fn)
        except (OSError, TypeError):
            continue
        params = list(inspect.signature(fn).parameters)
        found = None
        for m in pattern.finditer(src):
            cls = vars(inspect.getmodule(fn)).get(m.group(1))
            if inspect.isclass(cls) and hasattr(cls, "symbolic_call"):
                found = (m, cls)
                break
        if found is None:
            continue
        m, cls = found
        init_names = [p for p in inspect.signature(cls.__init__).parameters
                      if p not in ("self", "args", "kwargs")]
        init = {}
        for i, part in enumerate(p.strip() for p in m.group(2).split(",") if p.strip()):
            if "=" in part:
                key, expr = (x.strip() for x in part.split("=", 1))
            else:
                key, expr = (init_names[i] if i < len(init_names) else None), part
            if key is not None and expr in params:
                init[key] = expr
        call = [a.strip() for a in m.group(3).split(",") if a.strip()]
        defaults = {}
        for pname, p in inspect.signature(fn).parameters.items():
            if p.default is not p.empty:
                try:
                    defaults[pname] = _json(p.default)
                except (TypeError, ValueError):
                    pass
        out[name] = {"class_name": cls.__name__, "module": cls.__module__, "init": init,
                     "call": [c for c in call if c in params], "params": params,
                     "defaults": defaults}
    return out


def record_terminate_on_nan(keras):
    """Keras trains on NaN targets; TerminateOnNaN stops at the first NaN batch loss."""
    keras.utils.set_random_seed(1)
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(32, 2)
    y = np.ones((32, 1), dtype="float32")
    y[20] = np.nan
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    hist = model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                     callbacks=[keras.callbacks.TerminateOnNaN()])
    return {"history": _json(hist.history), "epochs": hist.epoch,
            "loss_is_nan": bool(np.isnan(hist.history["loss"][-1]))}


class _AddLossModel:
    """A subclassed model whose only loss is the one it adds (`add_loss`); built from the
    `keras` module given (the same code runs in Keras and in minikeras' test)."""

    @staticmethod
    def make(keras):
        class AddLossModel(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = keras.layers.Dense(2)

            def call(self, x):
                out = self.dense(x)
                self.add_loss(keras.ops.mean(keras.ops.square(out - 1.0)))
                return out

        return AddLossModel()


def model_api_data():
    x = np.linspace(-1, 1, 48, dtype="float32").reshape(16, 3)
    y = np.linspace(0, 1, 16, dtype="float32").reshape(16, 1)
    w = [np.array([[0.1, -0.2], [0.3, 0.05], [-0.4, 0.2]], dtype="float32"),
         np.array([0.01, -0.02], dtype="float32")]
    return x, y, w


def record_model_api(keras):
    """What Keras 3 does with: compile() without a loss and a model that adds its own,
    `model.metrics`, `Model.add_variable`, `Model(inputs=..., outputs=...)` on a subclass."""
    x, y, w = model_api_data()
    out = {}
    model = _AddLossModel.make(keras)
    model(x[:1])
    model.set_weights(w)
    model.compile(keras.optimizers.SGD(0.1))
    hist = model.fit(x, batch_size=8, epochs=3, shuffle=False, verbose=0)
    out["add_loss_no_y"] = {"history": _json(hist.history),
                            "weights": [v.tolist() for v in model.get_weights()],
                            "evaluate": float(model.evaluate(x, verbose=0))}
    names = {}
    for label, kwargs in {"none": {}, "two": {"metrics": ["mae", "mse"]},
                          "weighted": {"metrics": ["mae"], "weighted_metrics": ["mse"]}}.items():
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        m.compile("sgd", "mse", **kwargs)
        before = [v.name for v in m.metrics]
        m.fit(x, y, verbose=0)
        names[label] = {"before_fit": before, "after_fit": [v.name for v in m.metrics],
                        "evaluate_keys": sorted(m.evaluate(x, y, verbose=0,
                                                           return_dict=True))}
    a = keras.Input((3,), name="a")
    h = keras.layers.Dense(2, name="h")(a)
    two = keras.Model(a, [keras.layers.Dense(1, name="o1")(h),
                          keras.layers.Dense(1, name="o2")(h)])
    two.compile("sgd", {"o1": "mse", "o2": "mae"}, metrics={"o1": ["mae"]})
    two.fit(x, [y, y], verbose=0)
    names["two_outputs"] = {"after_fit": [v.name for v in two.metrics]}
    out["metrics"] = names
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], name="seq")
    v = m.add_variable((2, 3), initializer="ones", name="extra", trainable=False)
    out["add_variable"] = {"path": v.path, "n_weights": len(m.weights),
                           "n_non_trainable": len(m.non_trainable_weights),
                           "value": np.asarray(v).tolist()}

    class Sub(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = "sub"

    inp = keras.Input((3,))
    sub = Sub(inputs=inp, outputs=keras.layers.Dense(2)(inp))
    out["subclass_functional"] = {"type_name": type(sub).__name__,
                                  "mro_names": [c.__name__ for c in type(sub).__mro__][:3],
                                  "n_layers": len(sub.layers),
                                  "config_keys": sorted(sub.get_config())}
    return out


def _tf_ops_models(keras, tf):
    """name -> (model, x list): tf.keras functional models with TensorFlow ops."""
    rng = np.random.default_rng(13)
    models = {}
    a = keras.Input((4,), name="a")
    h = keras.layers.Dense(3, name="d1")(a)
    out = h * 2.0 + tf.reduce_mean(h, axis=-1, keepdims=True) - 1.0
    out = tf.nn.relu(out)[:, :2] + tf.square(a[:, :2]) / 4.0
    models["tf_arith_reduce_slice"] = (keras.Model(a, out),
                                       [rng.normal(size=(5, 4)).astype("float32")])
    a = keras.Input((6,), name="a")
    h = tf.reshape(a, (-1, 2, 3))
    h = tf.transpose(h, perm=[0, 2, 1])
    h = keras.layers.Dense(2, name="d1")(tf.reshape(h, (-1, 6)))
    out = tf.exp(-tf.abs(h)) + tf.math.maximum(h, 0.5) - tf.reduce_sum(h, axis=1,
                                                                         keepdims=True)
    models["tf_reshape_transpose_exp"] = (keras.Model(a, out),
                                          [rng.normal(size=(5, 6)).astype("float32")])
    return models


def main_keras2() -> None:
    import tensorflow as tf
    import tf_keras as keras

    files = os.path.join(HERE, "files", "surface_k2")
    os.makedirs(files, exist_ok=True)
    out = {}
    for name, (model, xs) in _tf_ops_models(keras, tf).items():
        rng = np.random.default_rng(5)
        weights = [rng.uniform(-0.5, 0.5, size=w.shape).astype("float32")
                   for w in model.get_weights()]
        model.set_weights(weights)
        pred = model.predict(xs[0], verbose=0)
        path = os.path.join(files, f"{name}.h5")
        model.save(path)
        out[name] = {"config": _json(model.get_config()), "x": [x.tolist() for x in xs],
                     "weights": [w.tolist() for w in weights],
                     "pred": np.asarray(pred).tolist(), "file": os.path.relpath(path, HERE)}
    data = {"keras_version": keras.__version__, "tensorflow_version": tf.__version__,
            "numpy_version": np.__version__, "python_version": sys.version.split()[0],
            "tf_ops_models": out}
    path = os.path.join(HERE, "fixtures", "configs_k2.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(path, len(out), "tf.keras models with TFOpLambda layers")


def main() -> None:
    if "--keras" in sys.argv and sys.argv[sys.argv.index("--keras") + 1] == "2":
        main_keras2()
        return
    import keras

    configs, failed = record_configs(keras)
    data = {
        "keras_version": keras.__version__, "backend": keras.backend.backend(),
        "numpy_version": np.__version__, "python_version": sys.version.split()[0],
        "configs": configs, "not_recorded": failed,
        "functions": record_functions(keras),
        "plain": record_plain(keras),
        "dtypes": record_dtypes(keras),
        "errors": record_errors(keras),
        "ops_models": record_ops_models(keras),
        "ops_table": record_ops_table(keras),
        "terminate_on_nan": record_terminate_on_nan(keras),
        "model_api": record_model_api(keras),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(OUT, len(configs), "configs;", len(failed), "not recorded;",
          len(data["ops_models"]), "ops models")


if __name__ == "__main__":
    main()
