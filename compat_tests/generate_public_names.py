"""Record the public names of Keras 3's namespaces (and Keras 2's backend) for
docs/make_compatibility.py.

    KERAS_BACKEND=jax <keras3 venv>/bin/python compat_tests/generate_public_names.py
    <tf_keras venv>/bin/python compat_tests/generate_public_names.py --keras 2

Writes compat_tests/fixtures/public_names_k3.json (or _k2.json).
"""

import argparse
import inspect
import json
from pathlib import Path

NAMESPACES = ["", "layers", "models", "activations", "losses", "metrics", "optimizers",
              "optimizers.schedules", "callbacks", "initializers", "regularizers",
              "constraints", "backend", "ops", "random", "utils", "config", "saving"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keras", default="3")
    args = parser.parse_args()
    if args.keras == "2":
        import tf_keras as keras
    else:
        import keras
    out = {"version": keras.__version__, "namespaces": {}}
    for ns in NAMESPACES:
        module = keras
        try:
            for part in filter(None, ns.split(".")):
                module = getattr(module, part)
        except AttributeError:
            continue
        names = sorted(n for n in dir(module) if not n.startswith("_")
                       and not inspect.ismodule(getattr(module, n)))
        out["namespaces"][("keras." + ns).rstrip(".")] = names
    path = Path(__file__).parent / "fixtures" / f"public_names_k{args.keras}.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(path, sum(len(v) for v in out["namespaces"].values()), "names")


if __name__ == "__main__":
    main()
