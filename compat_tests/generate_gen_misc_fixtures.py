"""Reference values for issue 10's bug fixes (cases in cases_gen_misc.py), from REAL Keras.

    /work/venvs/k2/bin/python compat_tests/generate_gen_misc_fixtures.py --keras 2
    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_gen_misc_fixtures.py --keras 3

--keras 2 (tf_keras): trains `cases_gen_misc.metric_model` for 2 epochs, saves it to
compat_tests/files/gen_k2/custom_metric.h5, reloads it with custom_objects and records
`evaluate` (return_dict) of the reloaded model; trains a model with Keras 2.2's
`Adam(lr=0.01, ..., epsilon=None, decay=0.0, amsgrad=False)` (tf_keras' legacy Adam, the one
that keeps that signature) and records initial weights, final weights and the history.
--keras 3: the same custom-metric file (files/gen_k3/custom_metric.h5); `Normalization.mean`/`.variance` (values, shapes, dtypes) after `adapt`, and the
same before adapt (built from a shape) and with a given mean/variance.
Outputs: fixtures/gen_misc_k<2|3>.json (+ .npz for arrays). Never run this with minikeras.
"""

import argparse
import json
import os
import platform
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate_training_fixtures import import_keras  # noqa: E402

import cases_gen_misc as cases  # noqa: E402


def _custom_metric_file(keras, major, meta):
    """Train, save to files/gen_k<major>/custom_metric.h5, reload with custom_objects and
    record the reloaded model's evaluate."""
    x, y = cases.data()
    keras.utils.set_random_seed(0)
    model = cases.metric_model(keras)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    folder = os.path.join(HERE, "files", f"gen_k{major}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "custom_metric.h5")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={
        "my_metric": cases.make_my_metric(keras)})
    meta["custom_metric_evaluate"] = {k: float(v) for k, v in loaded.evaluate(
        x, y, batch_size=8, verbose=0, return_dict=True).items()}


def _keras2(keras, out):
    meta, arrays = {}, {}
    x, y = cases.data()
    _custom_metric_file(keras, 2, meta)

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)),
                              keras.layers.Dense(1)])
    rng = np.random.default_rng(9)
    w0 = [rng.uniform(-0.5, 0.5, size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(w0)
    optimizer = cases.adam_keras22(keras.optimizers.legacy)
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    meta["adam_keras22"] = {"history": {k: [float(v) for v in vs]
                                        for k, vs in history.history.items()},
                            "epsilon": float(optimizer.epsilon),
                            "optimizer_class": type(optimizer).__module__ + "." +
                            type(optimizer).__name__}
    for i, w in enumerate(w0):
        arrays[f"adam_keras22/w0_{i}"] = w
    for i, w in enumerate(model.get_weights()):
        arrays[f"adam_keras22/w1_{i}"] = w
    return meta, arrays


def _keras3(keras, out):
    meta, arrays = {"normalization": {}}, {}
    _custom_metric_file(keras, 3, meta)
    for name, spec in cases.NORMALIZATION.items():
        layer = keras.layers.Normalization(**spec["kwargs"])
        layer.adapt(cases.normalization_data(name))
        mean, var = np.asarray(layer.mean), np.asarray(layer.variance)
        meta["normalization"][name] = {"mean_shape": list(mean.shape),
                                       "mean_dtype": str(mean.dtype),
                                       "variance_shape": list(var.shape)}
        arrays[f"normalization/{name}/mean"] = mean
        arrays[f"normalization/{name}/variance"] = var
    layer = keras.layers.Normalization()
    meta["normalization_unbuilt_mean"] = repr(layer.mean)
    layer.build((None, 3))
    arrays["normalization/built/mean"] = np.asarray(layer.mean)
    arrays["normalization/built/variance"] = np.asarray(layer.variance)
    layer = keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 5.0, 6.0])
    layer.build((None, 3))
    arrays["normalization/given/mean"] = np.asarray(layer.mean)
    arrays["normalization/given/variance"] = np.asarray(layer.variance)
    return meta, arrays


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras", type=int, choices=(2, 3), required=True)
    args = parser.parse_args(argv)
    keras = import_keras(args.keras)
    out = os.path.join(HERE, "fixtures")
    meta, arrays = (_keras2 if args.keras == 2 else _keras3)(keras, out)
    meta["provenance"] = {"keras_version": keras.__version__, "keras_module": keras.__name__,
                          "numpy_version": np.__version__,
                          "python_version": platform.python_version(),
                          "generator": "compat_tests/generate_gen_misc_fixtures.py"}
    stem = os.path.join(out, f"gen_misc_k{args.keras}")
    np.savez_compressed(stem + ".npz", **arrays)
    with open(stem + ".json", "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote", stem)


if __name__ == "__main__":
    main()
