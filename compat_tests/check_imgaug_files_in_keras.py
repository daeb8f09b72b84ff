"""Does real Keras 3 open and predict minikeras' files of a model with image preprocessing
layers?

    python compat_tests/check_imgaug_files_in_keras.py [--keep DIR]

minikeras (this Python) builds cases_imgaug.build_model, saves it as .keras and .h5 with its
inference predictions, then runs generate_imgaug_fixtures.py --check-minikeras DIR in the
Keras 3 venv, which loads both files and compares. Log:
compat_tests/check_imgaug_files_in_keras.log. (model.h5 has no RandomBrightness, as in the
fixture Keras wrote, since Keras 3.15 cannot write that layer to .h5; model_full.h5 has it.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import minikeras  # noqa: E402

import cases_imgaug  # noqa: E402

K3 = "/work/venvs/k3/bin/python"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", default=None)
    args = parser.parse_args()
    directory = args.keep or tempfile.mkdtemp(prefix="imgaug_files_")
    os.makedirs(directory, exist_ok=True)
    minikeras.utils.set_random_seed(0)
    x = (np.random.RandomState(3).uniform(size=(4,) + cases_imgaug.MODEL_INPUT_SHAPE)
         * 255).astype("float32")
    model = cases_imgaug.build_model(minikeras)
    model.save(os.path.join(directory, "model.keras"))
    model.save(os.path.join(directory, "model_full.h5"))  # with RandomBrightness
    y = model.predict(x, verbose=0)
    model_h5 = cases_imgaug.build_model(minikeras, brightness=False)
    model_h5.set_weights(model.get_weights())
    model_h5.save(os.path.join(directory, "model.h5"))
    np.testing.assert_allclose(model_h5.predict(x, verbose=0), y, rtol=1e-6, atol=1e-6)
    np.savez(os.path.join(directory, "expected.npz"), x=x, y=y)
    env = dict(os.environ, KERAS_BACKEND="jax")
    proc = subprocess.run([K3, os.path.join(HERE, "generate_imgaug_fixtures.py"),
                           "--check-minikeras", directory], env=env, capture_output=True,
                          text=True)
    lines = [f"# minikeras {minikeras.__version__} wrote model.keras and model.h5 "
             f"(cases_imgaug.build_model)"] + [
        line for line in proc.stdout.splitlines() if line.startswith(("#", "OK", "FAIL"))]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if proc.returncode not in (0, 1):
        print(proc.stderr[-3000:])
    with open(os.path.join(HERE, "check_imgaug_files_in_keras.log"), "w") as f:
        f.write(text)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
