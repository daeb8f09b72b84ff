"""Does real Keras 3 load minikeras' files with a Lambda layer?

    python compat_tests/check_lambda_files_in_keras.py [--k3 /work/venvs/k3/bin/python]

With the repo's Python it saves two small models (a Lambda of a Python lambda, a Lambda of a
named function) as `.keras` and `.h5`, then runs itself under Keras 3 (`--check DIR`, never
importing minikeras), which loads each file (the lambda with safe_mode=False, as Keras
requires; the named function through custom_objects) and compares predictions (1e-5). The
output goes to compat_tests/check_lambda_files_in_keras.log.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
X = np.arange(6, dtype="float32").reshape(2, 3) / 6


def double_it(x):
    return x * 2


def write(folder: str) -> None:
    sys.path.insert(0, os.path.dirname(HERE))
    import minikeras as keras

    for tag, fn in (("lambda", lambda x: x * 2), ("named", double_it)):
        m = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(fn), keras.layers.Dense(2)])
        np.save(os.path.join(folder, f"{tag}_pred.npy"), m.predict(X, verbose=0))
        for ext in ("keras", "h5"):
            m.save(os.path.join(folder, f"{tag}.{ext}"))


def check(folder: str) -> int:
    import keras

    failed = 0
    for tag in ("lambda", "named"):
        for ext in ("keras", "h5"):
            kw = {"safe_mode": False} if tag == "lambda" else \
                {"custom_objects": {"double_it": double_it}}
            try:
                m = keras.models.load_model(os.path.join(folder, f"{tag}.{ext}"), **kw)
                want = np.load(os.path.join(folder, f"{tag}_pred.npy"))
                ok = np.allclose(m.predict(X, verbose=0), want, rtol=1e-5, atol=1e-6)
                how = "safe_mode=False" if tag == "lambda" else "custom_objects={'double_it'}"
                line = f"{'OK  ' if ok else 'FAIL'} k3 {keras.__version__} {tag}.{ext} {how}"
            except Exception as e:  # noqa: BLE001 - reported in the log
                ok, line = False, f"FAIL k3 {tag}.{ext} {type(e).__name__}: {e}"
            failed += not ok
            print(line)
    return failed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k3", default="/work/venvs/k3/bin/python")
    ap.add_argument("--check")
    ap.add_argument("--log", default=os.path.join(HERE, "check_lambda_files_in_keras.log"))
    args = ap.parse_args()
    if args.check:
        return 1 if check(args.check) else 0
    with tempfile.TemporaryDirectory() as folder:
        write(folder)
        env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
        run = subprocess.run([args.k3, os.path.abspath(__file__), "--check", folder],
                             capture_output=True, text=True, env=env, cwd=folder)
    lines = [x for x in run.stdout.splitlines() if x.startswith(("OK", "FAIL"))]
    with open(args.log, "w") as f:
        f.write("\n".join(lines + [f"# exit status {run.returncode}"]) + "\n")
    print("\n".join(lines), run.stderr[-2000:] if run.returncode else "")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
