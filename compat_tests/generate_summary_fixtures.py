"""Capture REAL Keras 3's `model.summary()` text for the models of cases_summary.py.

    KERAS_BACKEND=jax /work/venvs/k3/bin/python compat_tests/generate_summary_fixtures.py

Writes compat_tests/fixtures/summary_k3/<case>.txt (the text Keras passes to print_fn, with
COLUMNS=80), the model files of cases_summary.FILE_CASES into compat_tests/files/summary_k3/
(saved after training with Adam), and the summary Keras prints after loading each file
(<file case>.txt), plus provenance.json. Never run this with minikeras.
"""

import json
import os
import platform
import sys

os.environ["COLUMNS"] = "80"
os.environ["KERAS_BACKEND"] = "jax"

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import cases_summary  # noqa: E402


def main():
    out = os.path.join(HERE, "fixtures", "summary_k3")
    files = os.path.join(HERE, "files", "summary_k3")
    os.makedirs(out, exist_ok=True)
    os.makedirs(files, exist_ok=True)
    for name, build in cases_summary.CASES.items():
        keras.utils.set_random_seed(0)
        model, kwargs = build(keras)
        with open(os.path.join(out, name + ".txt"), "w") as f:
            f.write(cases_summary.capture(model, kwargs))
        print("ok", name)
    for name, filename in cases_summary.FILE_CASES.items():
        # a fresh model per file: Keras 3.15's legacy .h5 save drops "optimizer" from the
        # model's compile config in place, so a .keras saved after it loads as RMSprop
        keras.utils.set_random_seed(0)
        model = cases_summary.file_model(keras)
        path = os.path.join(files, filename)
        model.save(path)
        loaded = keras.models.load_model(path)
        with open(os.path.join(out, name + ".txt"), "w") as f:
            f.write(cases_summary.capture(loaded, {}))
        print("ok", name)
    with open(os.path.join(out, "provenance.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "backend": "jax",
                   "numpy_version": np.__version__,
                   "python_version": platform.python_version(), "COLUMNS": 80,
                   "generator": "compat_tests/generate_summary_fixtures.py"}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
