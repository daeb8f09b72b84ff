"""Write model files with *real* Keras, as committed fixtures for minikeras' loaders.

This script never imports minikeras. It runs in a separate virtual environment that has
real Keras installed, and writes files that CI (which has no Keras) reads back:

    KERAS_BACKEND=jax python compat_tests/generate_model_files.py --keras 3   # keras 3.x (+ jax)
    python compat_tests/generate_model_files.py --keras 2                     # tf_keras 2.x

Output goes to compat_tests/files/k3/ or compat_tests/files/k2/ (the folder is emptied first).
For every case it writes the model file(s) plus two sidecars:

    <case>.npz   x (inputs), y (targets), pred (the writer's model.predict(x) after training)
    <case>.json  writer versions, file kinds, compile settings, weight shapes, evaluate() result,
                 one further fit epoch after reloading, and every reload check that was run

See compat_tests/README_files.md for the exact schema and the list of cases.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

SCHEMA_VERSION = 1
N_SAMPLES = 32
BATCH_SIZE = 8  # divides N_SAMPLES: every batch is full, so per-batch and per-sample means agree
TRAIN_EPOCHS = 2
LAMBDA_SOURCE = "lambda t: t * 2.0"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keras", choices=["2", "3"], required=True,
                   help="3: `import keras` (Keras 3, jax backend); 2: `import tf_keras as keras`")
    p.add_argument("--out", default=None, help="output folder (default compat_tests/files/k<N>)")
    p.add_argument("--only", nargs="*", default=None, help="write only these cases (debugging)")
    return p.parse_args(argv)


ARGS = parse_args()
KV = int(ARGS.keras)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
if KV == 3:
    os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
import h5py  # noqa: E402

if KV == 3:
    import keras  # noqa: E402

    if not keras.__version__.startswith("3."):
        sys.exit(f"--keras 3 needs Keras 3, found keras {keras.__version__}")
    BACKEND = keras.backend.backend()
    if BACKEND != "jax":
        print(f"warning: Keras 3 backend is {BACKEND!r}, the fixtures are meant to be written on jax",
              file=sys.stderr)
else:
    import tf_keras as keras  # noqa: E402
    import tensorflow as tf  # noqa: E402

    if not keras.__version__.startswith("2."):
        sys.exit(f"--keras 2 needs tf_keras 2.x, found {keras.__version__}")
    BACKEND = "tensorflow"
    tf.get_logger().setLevel("ERROR")

OUT = ARGS.out or os.path.join(HERE, "files", f"k{KV}")


# ----------------------------------------------------------------------------- helpers

def jsonable(o):
    """json.dumps fallback: numpy scalars/arrays, tuples, anything else as repr."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if hasattr(o, "numpy"):
        try:
            return jsonable(np.asarray(o.numpy()))
        except Exception:
            pass
    return repr(o)


def to_np(v):
    if hasattr(v, "numpy"):
        return np.asarray(v.numpy())
    return np.asarray(v)


def err_str(e, limit=600):
    s = f"{type(e).__name__}: {e}"
    s = " ".join(s.split())
    return s if len(s) <= limit else s[:limit] + " ..."


def history_dict(h):
    return {k: [float(v) for v in vals] for k, vals in h.history.items()}


def opt_variables(opt):
    if opt is None:
        return []
    v = opt.variables
    if callable(v):  # tf_keras legacy optimizer_v2: variables() is a method
        v = v()
    return list(v)


def var_name(v):
    return getattr(v, "path", None) or v.name


def short_name(n, limit=200):
    """Long names (the chunked case) are abbreviated in the JSON; the case records the rule."""
    return n if len(n) <= limit else f"{n[:24]}...<{len(n)} chars>"


def is_compiled(m):
    if KV == 3:
        return bool(getattr(m, "compiled", False))
    return bool(getattr(m, "_is_compiled", False))


def fresh_seed(seed):
    keras.backend.clear_session()  # restart auto-naming: sequential, dense, dense_1, ...
    keras.utils.set_random_seed(seed)


def compile_record(model, ck):
    """The compile settings as given, plus the optimizer's config after training."""
    loss = ck["loss"]
    if isinstance(loss, str):
        loss_rec = loss
    else:
        loss_rec = keras.losses.serialize(loss)
    opt = model.optimizer
    return {
        "loss": loss_rec,
        "loss_given_as": "string" if isinstance(loss, str) else "object",
        "optimizer": {
            "class_name": type(opt).__name__,
            "module": type(opt).__module__,
            "given_as": "string" if isinstance(ck["optimizer"], str) else "object",
            "config": opt.get_config(),
        },
        "metrics": list(ck.get("metrics") or []),
    }


# ----------------------------------------------------------------------------- data

def make_data(seed, n_in, kind, n_out=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_SAMPLES, n_in)).astype("float32")
    w = rng.normal(size=(n_in, n_out)).astype("float32")
    z = x @ w + 0.1 * rng.normal(size=(N_SAMPLES, n_out)).astype("float32")
    if kind == "regression":
        y = z.astype("float32")
    elif kind == "binary":
        y = (z[:, :1] > 0).astype("float32")
    elif kind == "categorical":
        labels = np.argmax(z, axis=1)
        y = np.eye(n_out, dtype="float32")[labels]
    else:
        raise ValueError(kind)
    return x, y


# ----------------------------------------------------------------------------- models

L = keras.layers


def _first(n_in, layers):
    if KV == 3:
        return [keras.Input(shape=(n_in,))] + layers
    return layers


def dense(units, activation=None, n_in=None, **kw):
    if KV == 2 and n_in is not None:
        kw["input_shape"] = (n_in,)
    return L.Dense(units, activation=activation, **kw)


def build_seq_uncompiled():
    return keras.Sequential(_first(4, [dense(5, "relu", n_in=4), dense(3, "linear")]))


def build_seq_sgd_mse():
    return keras.Sequential(_first(4, [dense(8, "relu", n_in=4), dense(2)]))


def build_seq_adam_acc():
    return keras.Sequential(_first(6, [dense(10, "relu", n_in=6), dense(3, "softmax")]))


def build_func_adam():
    inp = keras.Input(shape=(5,))
    h = L.Dense(7, activation="relu")(inp)
    out = L.Dense(2)(h)
    return keras.Model(inp, out)


def build_seq_reg_dropout_bn():
    reg = keras.regularizers.L1L2(l1=0.01, l2=0.01)
    return keras.Sequential(_first(8, [
        dense(16, "relu", n_in=8, kernel_regularizer=reg),
        L.Dropout(0.25),
        L.BatchNormalization(),
        dense(1, "sigmoid"),
    ]))


def build_seq_sgd_momentum_lossobj():
    return keras.Sequential(_first(4, [dense(6, "tanh", n_in=4), dense(1)]))


CHUNK_NAME_LEN = 2000
CHUNK_N_LAYERS = 33


def chunk_name(i):
    head = f"chunked_dense_{i:02d}_"
    return head + "n" * (CHUNK_NAME_LEN - len(head))


def build_chunked_layer_names():
    layers = []
    for i in range(CHUNK_N_LAYERS):
        kw = {"input_shape": (4,)} if (KV == 2 and i == 0) else {}
        layers.append(L.Dense(1, name=chunk_name(i), **kw))
    return keras.Sequential(_first(4, layers))


def build_lambda():
    return keras.Sequential(_first(4, [
        dense(5, "relu", n_in=4),
        L.Lambda(lambda t: t * 2.0),
        dense(1),
    ]))


sys.path.insert(0, HERE)
from custom_layers import custom_objects  # noqa: E402  (shared with minikeras' tests)

CUSTOM_OBJECTS = custom_objects(keras)
ScaledDense = CUSTOM_OBJECTS["ScaledDense"]


def build_custom_autoconfig():
    return keras.Sequential(_first(4, [ScaledDense(5, scale=0.5), L.Activation("tanh"),
                                       dense(1)]))


def build_seq_legacyadam():
    return keras.Sequential(_first(4, [dense(6, "relu", n_in=4), dense(1)]))


def build_seq_sgd_mse_no_optimizer():
    return keras.Sequential(_first(4, [dense(5, "relu", n_in=4), dense(1)]))


# compile settings: factories, so that a re-compile after loading gets fresh, equal objects
def ck_sgd_mse():
    return {"optimizer": "sgd", "loss": "mse"}


def ck_adam_acc():
    return {"optimizer": keras.optimizers.Adam(learning_rate=0.002),
            "loss": "categorical_crossentropy", "metrics": ["accuracy"]}


def ck_func_adam():
    return {"optimizer": keras.optimizers.Adam(learning_rate=0.003), "loss": "mse", "metrics": ["mae"]}


def ck_rmsprop_bce():
    return {"optimizer": keras.optimizers.RMSprop(learning_rate=0.005),
            "loss": "binary_crossentropy", "metrics": ["accuracy"]}


def ck_sgd_momentum_lossobj():
    return {"optimizer": keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
            "loss": keras.losses.MeanSquaredError()}


def ck_legacyadam():
    return {"optimizer": keras.optimizers.legacy.Adam(lr=0.002, decay=1e-4),
            "loss": "mean_squared_error"}


# name -> spec. kinds: h5, weights_h5, keras, weights_legacy_h5
CASES = [
    dict(name="seq_uncompiled", seed=101, build=build_seq_uncompiled, n_in=4, n_out=3, data="regression",
         compile=None, kinds={3: ["h5", "weights_h5", "keras"], 2: ["h5", "weights_h5", "weights_legacy_h5"]},
         description="Sequential Dense(5, relu) - Dense(3, linear), never compiled or trained"),
    dict(name="seq_sgd_mse", seed=102, build=build_seq_sgd_mse, n_in=4, n_out=2, data="regression",
         compile=ck_sgd_mse, kinds={3: ["h5", "keras"], 2: ["h5"]},
         description="Sequential Dense(8, relu) - Dense(2), compile('sgd', 'mse'), trained"),
    dict(name="seq_adam_acc", seed=103, build=build_seq_adam_acc, n_in=6, n_out=3, data="categorical",
         compile=ck_adam_acc, kinds={3: ["h5", "weights_h5", "keras"], 2: ["h5", "weights_h5"]},
         description="Sequential Dense(10, relu) - Dense(3, softmax), Adam(learning_rate=0.002), "
                     "categorical_crossentropy, metrics=['accuracy'], trained"),
    dict(name="func_adam", seed=104, build=build_func_adam, n_in=5, n_out=2, data="regression",
         compile=ck_func_adam, kinds={3: ["h5", "weights_h5", "keras"], 2: ["h5", "weights_h5"]},
         description="functional Model: Input(5) - Dense(7, relu) - Dense(2), Adam(learning_rate=0.003), "
                     "'mse', metrics=['mae'], trained"),
    dict(name="seq_reg_dropout_bn", seed=105, build=build_seq_reg_dropout_bn, n_in=8, n_out=1, data="binary",
         compile=ck_rmsprop_bce, kinds={3: ["h5", "weights_h5", "keras"], 2: ["h5", "weights_h5"]},
         description="Sequential Dense(16, relu, kernel_regularizer=L1L2(0.01, 0.01)) - Dropout(0.25) - "
                     "BatchNormalization() - Dense(1, sigmoid), RMSprop(learning_rate=0.005), "
                     "binary_crossentropy, metrics=['accuracy'], trained"),
    dict(name="seq_sgd_momentum_lossobj", seed=106, build=build_seq_sgd_momentum_lossobj, n_in=4, n_out=1,
         data="regression", compile=ck_sgd_momentum_lossobj, kinds={3: ["h5"], 2: ["h5"]},
         description="Sequential Dense(6, tanh) - Dense(1), SGD(0.05, momentum=0.9, nesterov=True), "
                     "loss=keras.losses.MeanSquaredError() (an object), trained"),
    dict(name="chunked_layer_names", seed=107, build=build_chunked_layer_names, n_in=4, n_out=1,
         data="regression", compile=None, kinds={3: ["h5"], 2: ["h5"]},
         description=f"Sequential of {CHUNK_N_LAYERS} Dense(1) layers with {CHUNK_NAME_LEN}-character names, "
                     "so that layer_names is split into layer_names0/layer_names1; not compiled"),
    dict(name="lambda", seed=108, build=build_lambda, n_in=4, n_out=1, data="regression",
         compile=None, kinds={3: ["h5", "keras"], 2: ["h5"]},
         description=f"Sequential Dense(5, relu) - Lambda({LAMBDA_SOURCE}) - Dense(1), not compiled. "
                     "The file holds marshalled Python bytecode: minikeras must refuse to load it"),
    dict(name="custom_autoconfig", seed=111, build=build_custom_autoconfig, n_in=4, n_out=1,
         data="regression", compile=ck_sgd_mse, kinds={3: ["h5", "keras"]},
         description="Sequential ScaledDense(5, scale=0.5) - Activation(tanh) - Dense(1), where "
                     "ScaledDense is a user's layer without get_config (Keras 3 generates its "
                     "config from the constructor's arguments), compile('sgd', 'mse'), trained; "
                     "loaded with custom_objects={'ScaledDense': ScaledDense}"),
    dict(name="seq_legacyadam", seed=109, build=build_seq_legacyadam, n_in=4, n_out=1, data="regression",
         compile=ck_legacyadam, kinds={2: ["h5"]},
         description="Sequential Dense(6, relu) - Dense(1), "
                     "tf_keras.optimizers.legacy.Adam(lr=0.002, decay=1e-4), 'mean_squared_error', trained"),
    dict(name="seq_sgd_mse_no_optimizer", seed=110, build=build_seq_sgd_mse_no_optimizer, n_in=4, n_out=1,
         data="regression", compile=ck_sgd_mse, kinds={2: ["h5"]}, include_optimizer=False,
         description="Sequential Dense(5, relu) - Dense(1), compile('sgd', 'mse'), trained, "
                     "saved with model.save(..., include_optimizer=False)"),
]

SUFFIX = {
    "h5": ".h5",
    "weights_h5": ".weights.h5",
    "keras": ".keras",
    "weights_legacy_h5": "_weights_legacy.h5",
}


# ----------------------------------------------------------------------------- reload checks

def fit_one_epoch(m, x, y):
    h = m.fit(x, y, epochs=1, batch_size=BATCH_SIZE, shuffle=False, verbose=0)
    return history_dict(h)


def reload_check(label, loader, load_fn, x, y, pred, writer_opt_values, recompile=None, weights_only=False):
    """Load a file, compare predictions, and (when compiled) evaluate and fit one epoch."""
    rec = {"label": label, "loader": loader}
    try:
        m = load_fn()
    except Exception as e:
        rec.update(load_ok=False, load_error=err_str(e))
        return rec
    rec["load_ok"] = True
    p = m.predict(x, verbose=0)
    rec["pred_max_abs_diff"] = float(np.max(np.abs(p.astype("float64") - pred.astype("float64"))))
    if weights_only:
        return rec
    rec["compiled_after_load"] = is_compiled(m)
    if rec["compiled_after_load"] and writer_opt_values is not None:
        loaded = opt_variables(m.optimizer)
        restored = 0
        for a, b in zip([to_np(v) for v in loaded], writer_opt_values):
            if a.shape != b.shape or not np.array_equal(a.astype("float64"), b.astype("float64")):
                break
            restored += 1
        rec["optimizer_after_load"] = {
            "class_name": type(m.optimizer).__name__,
            "config": m.optimizer.get_config(),
            "variables": [[var_name(v), list(to_np(v).shape)] for v in loaded],
            "leading_variables_equal_to_writer": restored,
            "writer_variable_count": len(writer_opt_values),
        }
    if recompile is not None:
        m.compile(**recompile())
        rec["recompiled"] = True
    elif not rec["compiled_after_load"]:
        return rec
    try:
        ev = m.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0, return_dict=True)
        rec["evaluate"] = {k: float(v) for k, v in ev.items()}
    except Exception as e:
        rec["evaluate_error"] = err_str(e)
    try:
        rec["fit_history"] = fit_one_epoch(m, x, y)
        rec["fit_ok"] = True
    except Exception as e:
        rec["fit_ok"] = False
        rec["fit_error"] = err_str(e)
    return rec


def load_model_fn(path, **kw):
    return lambda: keras.models.load_model(path, custom_objects=CUSTOM_OBJECTS, **kw)


def load_weights_fn(model, path):
    def f():
        m = keras.models.clone_model(model)
        m.load_weights(path)
        return m
    return f


# ----------------------------------------------------------------------------- one case

def run_case(case):
    name = case["name"]
    kinds = case["kinds"][KV]
    fresh_seed(case["seed"])
    x, y = make_data(case["seed"], case["n_in"], case["data"], case["n_out"])
    model = case["build"]()
    ck = case["compile"]() if case["compile"] else None
    train = None
    if ck is not None:
        model.compile(**ck)
        h = model.fit(x, y, epochs=TRAIN_EPOCHS, batch_size=BATCH_SIZE, shuffle=False, verbose=0)
        train = {"epochs": TRAIN_EPOCHS, "batch_size": BATCH_SIZE, "shuffle": False,
                 "history": history_dict(h)}
    pred = np.asarray(model.predict(x, verbose=0))

    files = {}
    include_optimizer = case.get("include_optimizer", True)
    # Order matters: Keras 3's legacy .h5 writer pops "optimizer" out of model._compile_config
    # (legacy/saving/saving_utils.py, model_metadata), so a .keras saved after the .h5 would
    # reload with the default RMSprop. The .h5 is therefore written last.
    order = ["keras", "weights_h5", "weights_legacy_h5", "h5"]
    for kind in sorted(kinds, key=order.index):
        fn = name + SUFFIX[kind]
        path = os.path.join(OUT, fn)
        if kind == "h5":
            model.save(path, include_optimizer=include_optimizer)
        elif kind == "keras":
            model.save(path)
        else:  # both weights kinds: the suffix chooses the layout
            model.save_weights(path)
        files[kind] = fn

    weights = model.get_weights()
    writer_opt_vars = opt_variables(model.optimizer) if ck is not None else []
    writer_opt_values = [to_np(v) for v in writer_opt_vars] if ck is not None else None

    rec = {
        "schema_version": SCHEMA_VERSION,
        "case": name,
        "description": case["description"],
        "writer": {
            "keras_package": keras.__name__,
            "keras_version": keras.__version__,
            "backend": BACKEND,
            "backend_version": (__import__("jax").__version__ if BACKEND == "jax"
                                else __import__("tensorflow").__version__),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "h5py": h5py.__version__,
        },
        "generator": f"compat_tests/generate_model_files.py --keras {KV}",
        "seed": case["seed"],
        "files": files,
        "file_kinds": kinds,
        "h5_include_optimizer": (include_optimizer if ("h5" in kinds and ck is not None) else None),
        "model": {
            "class_name": type(model).__name__,
            "name": model.name,
            "layers": [[type(l).__name__, short_name(l.name)] for l in model.layers],
            "input_shape": list(model.inputs[0].shape),
            "output_shape": list(model.outputs[0].shape),
        },
        "compiled": ck is not None,
        "compile": compile_record(model, ck) if ck is not None else None,
        "train": train,
        "weight_shapes": [list(w.shape) for w in weights],
        "weight_dtypes": [str(w.dtype) for w in weights],
        "optimizer_variables": ([{"name": var_name(v), "shape": list(to_np(v).shape),
                                  "dtype": str(to_np(v).dtype)} for v in writer_opt_vars]
                                if ck is not None else None),
        "evaluate": None,
        "continuation": None,
        "continuation_optimizer_restored": None,
        "reloads": [],
        "notes": [],
    }
    if name == "lambda":
        rec["lambda_source"] = LAMBDA_SOURCE
    if name == "chunked_layer_names":
        rec["chunked_layer_names"] = {
            "count": CHUNK_N_LAYERS, "length": CHUNK_NAME_LEN,
            "rule": "name(i) = f'chunked_dense_{i:02d}_' padded with 'n' to `length` characters, i = 0..count-1",
            "names_match_rule": [l.name for l in model.layers] == [chunk_name(i) for i in range(CHUNK_N_LAYERS)],
        }
    if ck is not None:
        ev = model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0, return_dict=True)
        rec["evaluate"] = {"batch_size": BATCH_SIZE, "results": {k: float(v) for k, v in ev.items()}}
    if any(isinstance(l, L.Dropout) for l in model.layers):
        rec["notes"].append("Dropout is active in fit(), so training histories depend on the writer's "
                            "random stream; compare them only loosely")

    # ---- reload checks, in the writer itself
    recs = rec["reloads"]
    p = lambda kind: os.path.join(OUT, files[kind])  # noqa: E731
    unsafe = {"safe_mode": False} if KV == 3 else {}
    if "h5" in files:
        recs.append(reload_check("h5/compile=True", "keras.models.load_model(h5)",
                                 load_model_fn(p("h5")), x, y, pred, writer_opt_values))
        if KV == 3 and name == "lambda":
            recs.append(reload_check("h5/compile=True/safe_mode=False",
                                     "keras.models.load_model(h5, safe_mode=False)",
                                     load_model_fn(p("h5"), safe_mode=False), x, y, pred, writer_opt_values))
        recs.append(reload_check("h5/compile=False" + ("/recompile" if ck else ""),
                                 "keras.models.load_model(h5, compile=False)"
                                 + ("; model.compile(<same settings, fresh optimizer>)" if ck else ""),
                                 load_model_fn(p("h5"), compile=False, **(unsafe if name == "lambda" else {})),
                                 x, y, pred, writer_opt_values, recompile=case["compile"]))
    if "keras" in files:
        recs.append(reload_check("keras/compile=True", "keras.models.load_model(.keras)",
                                 load_model_fn(p("keras")), x, y, pred, writer_opt_values))
        if name == "lambda":
            recs.append(reload_check("keras/compile=True/safe_mode=False",
                                     "keras.models.load_model(.keras, safe_mode=False)",
                                     load_model_fn(p("keras"), safe_mode=False), x, y, pred, writer_opt_values))
    for kind in ("weights_h5", "weights_legacy_h5"):
        if kind in files:
            recs.append(reload_check(f"{kind}/load_weights",
                                     "keras.models.clone_model(model); m.load_weights(file)",
                                     load_weights_fn(model, p(kind)), x, y, pred, None, weights_only=True))

    # ---- the continuation: one more fit epoch after reloading the .h5 in the writer
    if ck is not None and "h5" in files:
        if KV == 2 and include_optimizer:
            src = next(r for r in recs if r["label"] == "h5/compile=True")
            route = "keras.models.load_model(h5) (compile=True)"
            state = "restored from the file's optimizer_weights"
        else:
            src = next(r for r in recs if r["label"].startswith("h5/compile=False"))
            route = "keras.models.load_model(h5, compile=False); model.compile(<same settings, fresh optimizer>)"
            state = "fresh (re-compiled): the file's optimizer state is not used"
        rec["continuation"] = {
            "file": files["h5"],
            "route": route,
            "optimizer_state": state,
            "epochs": 1, "batch_size": BATCH_SIZE, "shuffle": False,
            "ok": bool(src.get("fit_ok")),
            "error": src.get("fit_error"),
            "history": src.get("fit_history"),
        }
        if KV == 3 and "keras" in files:
            # The .keras file holds the same weights and optimizer state as the .h5, and Keras 3
            # restores that state fully from .keras: this is the reference for "load the .h5 with
            # its optimizer_weights, then fit one more epoch".
            src = next(r for r in recs if r["label"] == "keras/compile=True")
            rec["continuation_optimizer_restored"] = {
                "file": files["keras"],
                "route": "keras.models.load_model(.keras) (compile=True)",
                "optimizer_state": "restored from the .keras file (same values as the .h5's optimizer_weights)",
                "epochs": 1, "batch_size": BATCH_SIZE, "shuffle": False,
                "ok": bool(src.get("fit_ok")),
                "error": src.get("fit_error"),
                "history": src.get("fit_history"),
            }
        if KV == 3:
            direct = next(r for r in recs if r["label"] == "h5/compile=True")
            rec["notes"].append(
                "Keras 3 load_model(h5) with compile=True: "
                + (f"load failed ({direct['load_error']})" if not direct["load_ok"] else
                   ("fit() then worked" if direct.get("fit_ok") else
                    ("model was not compiled" if not direct.get("compiled_after_load")
                     else f"fit() then failed ({direct.get('fit_error')})"))))

    if name == "lambda":
        for r in recs:
            if r["label"] in ("h5/compile=True", "keras/compile=True"):
                rec["notes"].append(
                    f"{r['loader']} (default safe_mode): "
                    + ("LOADED, i.e. the writer unmarshalled and ran the Lambda's bytecode" if r["load_ok"]
                       else f"refused ({r['load_error'][:160]})"))

    np.savez(os.path.join(OUT, name + ".npz"), x=x, pred=pred.astype("float32"), y=y)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(rec, f, indent=1, default=jsonable, sort_keys=False)
        f.write("\n")
    return rec


def summarize(rec):
    print(f"== {rec['case']}: {', '.join(rec['files'].values())}")
    for r in rec["reloads"]:
        bits = [r["label"]]
        if not r["load_ok"]:
            bits.append("LOAD FAILED: " + r["load_error"][:160])
        else:
            bits.append(f"dy={r['pred_max_abs_diff']:.2g}")
            if "compiled_after_load" in r:
                bits.append("compiled" if r["compiled_after_load"] else "not compiled")
            if "optimizer_after_load" in r:
                o = r["optimizer_after_load"]
                bits.append(f"opt vars restored {o['leading_variables_equal_to_writer']}/{o['writer_variable_count']}")
            if "fit_ok" in r:
                bits.append("fit ok" if r["fit_ok"] else "FIT FAILED: " + r["fit_error"][:160])
        print("   " + " | ".join(bits))


def main():
    os.makedirs(OUT, exist_ok=True)
    if ARGS.only is None:
        for fn in os.listdir(OUT):
            full = os.path.join(OUT, fn)
            if os.path.isfile(full):
                os.remove(full)
            else:
                shutil.rmtree(full)
    failures = 0
    for case in CASES:
        if KV not in case["kinds"]:
            continue
        if ARGS.only is not None and case["name"] not in ARGS.only:
            continue
        try:
            summarize(run_case(case))
        except Exception:
            failures += 1
            print(f"!! case {case['name']} failed", file=sys.stderr)
            traceback.print_exc()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
