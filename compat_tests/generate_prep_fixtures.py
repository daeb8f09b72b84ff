"""Reference values for Keras 2's preprocessing utilities (branch `prep`), from REAL tf_keras.

    /work/venvs/k2/bin/python compat_tests/generate_prep_fixtures.py

Runs the cases of cases_prep.py on `tf_keras.preprocessing.text`, `.sequence` and `.image`
and writes compat_tests/fixtures/prep_k2.json. Never run this with minikeras.
"""

import json
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases_prep as cases  # noqa: E402


def main():
    import tf_keras
    from tf_keras.preprocessing import sequence, text

    assert "minikeras" not in tf_keras.__file__
    out = {
        "version": {"tf_keras": tf_keras.__version__, "python": platform.python_version()},
        "text": cases.text_cases(text),
        "timeseries": cases.timeseries_cases(sequence),
        "skipgrams": cases.skipgram_cases(sequence),
    }
    if hasattr(cases, "image_cases"):
        from tf_keras.preprocessing import image
        out["image"] = cases.image_cases(image)
    path = os.path.join(HERE, "fixtures", "prep_k2.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, sort_keys=True)
    print("wrote", path)


if __name__ == "__main__":
    main()
