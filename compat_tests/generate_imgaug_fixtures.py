"""Reference values of the image preprocessing layers, from real Keras 3.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_imgaug_fixtures.py
    # (check files minikeras wrote:  ... --check-minikeras DIR; see
    #  check_imgaug_files_in_keras.py, which calls it)

Writes fixtures/imgaug_k3.json (configs, output shapes, errors, versions) and
fixtures/imgaug_k3.npz (inputs and outputs), and files/imgaug_k3/model.{keras,h5} with the
predictions of that model. Cases: cases_imgaug.py. Only deterministic outputs are recorded:
the random layers run with degenerate factors, or with their draws forced through
`transform_images` (RandomFlip, RandomContrast).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import keras  # noqa: E402

import cases_imgaug  # noqa: E402


def _json(obj):
    return json.loads(json.dumps(obj, default=lambda o: o.tolist() if hasattr(o, "tolist")
                                 else list(o)))


def _forced(layer, x, draws):
    batched = x.ndim == 4
    n = x.shape[0] if batched else 1
    shape = (n, 1, 1, 1) if batched else (1, 1, 1)
    d = np.asarray(draws, dtype="float32")[:n]
    if isinstance(layer, keras.layers.RandomFlip):
        t = {"flips": (d <= 0.5).reshape(shape), "input_shape": x.shape}
    else:
        t = {"contrast_factor": d.reshape(shape)}
    return layer.transform_images(keras.ops.convert_to_tensor(x), t, training=True)


def generate(out_dir: str) -> None:
    xs = cases_imgaug.inputs()
    arrays = {f"input__{k}": v for k, v in xs.items()}
    cases = {}
    for name, cls, kwargs, inp, training, draws in cases_imgaug.CASES:
        layer = getattr(keras.layers, cls)(**kwargs)
        x = xs[inp]
        if draws is None:
            y = layer(x, training=training)
        else:
            y = _forced(layer, x, draws)
        arrays[f"{name}__y"] = np.asarray(y)
        cases[name] = {"config": _json(layer.get_config()),
                       "output_shape": list(layer.compute_output_shape((None,) + x.shape[1:])
                                            if x.ndim == 4 else
                                            layer.compute_output_shape(x.shape)),
                       "y_shape": list(np.shape(y))}
        print("ok", name, np.shape(y))
    errors = {}
    for name, cls, kwargs in cases_imgaug.ERRORS:
        try:
            getattr(keras.layers, cls)(**kwargs)
            errors[name] = None
        except Exception as e:  # noqa: BLE001 - recording what Keras raises
            errors[name] = {"type": type(e).__name__, "message": str(e)}
        print("error", name, errors[name])

    # a Sequential model with several of these layers, saved by Keras
    files = os.path.join(HERE, "files", "imgaug_k3")
    os.makedirs(files, exist_ok=True)
    rng = np.random.RandomState(7)
    mx = (rng.uniform(size=(4,) + cases_imgaug.MODEL_INPUT_SHAPE) * 255).astype("float32")
    arrays["model__x"] = mx
    configs = {}
    for suffix, brightness in (("keras", True), ("h5", False)):
        keras.utils.set_random_seed(0)
        model = cases_imgaug.build_model(keras, brightness=brightness)
        # (uncompiled: Keras 3.15 cannot reload its own compiled .h5 with loss "mse")
        model.save(os.path.join(files, f"model.{suffix}"))
        arrays[f"model_{suffix}__predict"] = model.predict(mx, verbose=0)
        configs[suffix] = _json(model.get_config())

    meta = {"keras": keras.__version__, "backend": keras.backend.backend(),
            "numpy": np.__version__, "cases": cases, "errors": errors,
            "model_configs": configs}
    np.savez(os.path.join(out_dir, "imgaug_k3.npz"), **arrays)
    with open(os.path.join(out_dir, "imgaug_k3.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print(f"wrote {len(cases)} cases, {len(errors)} error cases")


def check_minikeras(directory: str) -> int:
    """Load the files minikeras wrote in `directory` and compare Keras' predictions."""
    expected = np.load(os.path.join(directory, "expected.npz"))
    failures = 0
    for fname in ("model.keras", "model.h5", "model_full.h5"):
        try:
            model = keras.models.load_model(os.path.join(directory, fname))
            y = model.predict(expected["x"], verbose=0)
            err = float(np.max(np.abs(y - expected["y"])))
            ok = err < 1e-4
            names = [type(layer).__name__ for layer in model.layers]
            print(f"{'OK  ' if ok else 'FAIL'} k3 {fname:12s} load_model + predict "
                  f"max|dy|={err:.2e} layers={names}")
            failures += not ok
        except Exception as e:  # noqa: BLE001 - reported
            print(f"FAIL k3 {fname:12s} {type(e).__name__}: {e}")
            failures += 1
    return failures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(HERE, "fixtures"))
    parser.add_argument("--check-minikeras", default=None)
    args = parser.parse_args()
    if args.check_minikeras:
        print(f"# checking with keras {keras.__version__} ({keras.backend.backend()})")
        sys.exit(1 if check_minikeras(args.check_minikeras) else 0)
    generate(args.out)
