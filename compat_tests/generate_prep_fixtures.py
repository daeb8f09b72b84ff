"""Reference values for Keras 2's preprocessing utilities (branch `prep`), from REAL tf_keras.

    /work/venvs/k2/bin/python compat_tests/generate_prep_fixtures.py

Runs the cases of cases_prep.py on `tf_keras.preprocessing.text`, `.sequence` and `.image`
and writes compat_tests/fixtures/prep_k2.json. Never run this with minikeras.

The k2 venv has neither SciPy nor Pillow, which tf_keras' image module needs; the generator
puts ONLY those two packages of the main Python (same Python 3.11 and NumPy version) at the
END of sys.path, through a temporary folder of symlinks (`--extra-site` names where they are).
"""

import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_prep as cases  # noqa: E402


def add_scipy_pillow(site):
    import tempfile

    tmp = tempfile.mkdtemp(prefix="prep_site_")
    for name in ("scipy", "scipy.libs", "PIL", "pillow.libs"):
        if os.path.exists(os.path.join(site, name)):
            os.symlink(os.path.join(site, name), os.path.join(tmp, name))
    sys.path.append(tmp)


def main():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--extra-site",
                        default="/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages")
    args = parser.parse_args()
    add_scipy_pillow(args.extra_site)
    import tf_keras
    from tf_keras.preprocessing import sequence, text

    assert "minikeras" not in tf_keras.__file__
    out = {
        "version": {"tf_keras": tf_keras.__version__, "python": platform.python_version()},
        "text": cases.text_cases(text),
        "timeseries": cases.timeseries_cases(sequence),
        "skipgrams": cases.skipgram_cases(sequence),
    }
    from tf_keras.preprocessing import image

    import PIL
    import scipy
    out["version"].update(scipy=scipy.__version__, pillow=PIL.__version__)
    out["image"] = cases.image_cases(image)
    path = os.path.join(HERE, "fixtures", "prep_k2.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, sort_keys=True)
    print("wrote", path)


if __name__ == "__main__":
    main()
