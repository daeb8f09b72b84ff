"""Reference values for the audit fixes (tests/test_audit_fixes.py), from real Keras 3.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_fixes_fixtures.py

writes compat_tests/fixtures/fixes_k3.json. Every case starts from weights drawn here with
NumPy, so minikeras can start from the same ones.
"""
import json
import os
import warnings

import numpy as np

import keras

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "fixes_k3.json")


def steps_per_epoch_cases() -> dict:
    """fit(arrays, steps_per_epoch=k): Keras 3 carries the batch iterator across epochs."""
    rng = np.random.RandomState(0)
    x = rng.rand(70, 4).astype("float32")
    y = rng.rand(70, 3).astype("float32")
    w0 = [rng.uniform(-0.5, 0.5, (4, 3)).astype("float32"), np.zeros(3, "float32")]
    cases = {}
    for spe, epochs in [(2, 3), (3, 2), (5, 2), (1, 4)]:
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        m.set_weights(w0)
        m.compile(keras.optimizers.SGD(0.1), "mse")
        seen: list = []
        cb = keras.callbacks.LambdaCallback(
            on_train_batch_end=lambda b, logs, seen=seen: seen.append(float(logs["loss"])))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = m.fit(x, y, batch_size=32, epochs=epochs, steps_per_epoch=spe, verbose=0,
                      shuffle=False, callbacks=[cb])
        cases[f"{spe}_{epochs}"] = {
            "steps_per_epoch": spe, "epochs": epochs, "loss": h.history["loss"],
            "batch_logs": seen, "kernel": m.get_weights()[0].tolist(),
            "ran_out_warnings": sum("ran out of data" in str(w.message) for w in caught)}
    return {"x": x.tolist(), "y": y.tolist(), "kernel0": w0[0].tolist(), "cases": cases}


DOT_CASES = [  # (shape of x without batch, of y, axes, normalize)
    ((4,), (4,), 1, False), ((4,), (4,), -1, True), ((3, 4), (5, 4), 2, False),
    ((3, 4), (3, 5), 1, True), ((3, 4), (4, 5), (2, 1), False), ((3, 4), (4,), (2, 1), False),
    ((2, 3, 4), (4, 5), [3, 1], True), ((3, 4), (5, 4), -1, False)]


def dot_cases() -> list:
    """layers.Dot(axes, normalize) on random inputs with a batch of 2."""
    rng = np.random.RandomState(1)
    out = []
    for sx, sy, axes, normalize in DOT_CASES:
        x = rng.randn(2, *sx).astype("float32")
        y = rng.randn(2, *sy).astype("float32")
        layer = keras.layers.Dot(axes=axes, normalize=normalize)
        res = np.asarray(layer([x, y]))
        sym = layer.compute_output_shape([(None,) + sx, (None,) + sy])
        out.append({"x": x.tolist(), "y": y.tolist(), "axes": axes, "normalize": normalize,
                    "out": res.tolist(), "out_shape": list(res.shape),
                    "symbolic_shape": list(sym)})
    return out


def main() -> None:
    out = {"keras_version": keras.__version__, "backend": keras.backend.backend(),
           "steps_per_epoch": steps_per_epoch_cases(), "dot": dot_cases()}
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
