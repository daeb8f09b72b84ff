"""Write sequence-model files with REAL Keras (never minikeras), for test_rnn_files.py.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_rnn_files.py --keras 3
    /work/venvs/k2/bin/python compat_tests/generate_rnn_files.py --keras 2

For every case of rnn_file_cases.py: build, compile, train 2 epochs (batch 8, no shuffle),
then write `<case>.weights.h5` (both), `<case>.keras` (Keras 3), `<case>.h5` (last: Keras 3's
.h5 writer drops the optimizer from the compile config). Sidecars: `<case>.npz` (x, y,
pred = predict(x) before saving) and `<case>.json` (versions, evaluate loss, and the loss of
one more epoch after reloading the .keras (Keras 3) or .h5 (Keras 2) in the same Keras: what minikeras must reproduce).
Output: compat_tests/files/rnn_k3/ or rnn_k2/ (emptied first).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rnn_file_cases as F  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keras", type=int, choices=(2, 3), required=True)
    args = ap.parse_args()
    if args.keras == 3:
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tf_keras as keras
    out = os.path.join(HERE, "files", f"rnn_k{args.keras}")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name in F.case_names():
        keras.backend.clear_session()
        keras.utils.set_random_seed(1)
        model = F.build(keras, name)
        x, y = F.data(name)
        model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        pred = model.predict(x, verbose=0)
        loss = model.evaluate(x, y, batch_size=8, verbose=0)
        loss = float(loss[0] if isinstance(loss, list) else loss)
        base = os.path.join(out, name)
        kinds = ["weights_h5"]
        model.save_weights(base + ".weights.h5")
        if args.keras == 3:
            model.save(base + ".keras")
            kinds.append("keras")
            reload_from = base + ".keras"  # Keras 3 cannot train a model reloaded from .h5
        model.save(base + ".h5")
        kinds.append("h5")
        if args.keras == 2:
            reload_from = base + ".h5"
        again = keras.models.load_model(reload_from)
        np.testing.assert_allclose(again.predict(x, verbose=0), pred, rtol=1e-5, atol=1e-6)
        h = again.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
        np.savez_compressed(base + ".npz", x=x, y=y, pred=pred)
        meta = {"case": name, "kinds": kinds, "evaluate_loss": loss,
                "next_epoch_loss_after_reload": float(h.history["loss"][0]),
                "reloaded_from": os.path.basename(reload_from),
                "weight_names": [getattr(w, "path", w.name) for w in model.weights],
                "writer": {"keras": keras.__version__, "numpy": np.__version__,
                           "python": platform.python_version()}}
        with open(base + ".json", "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        print(name, "written", kinds)


if __name__ == "__main__":
    main()
