"""Pattern 16: save the trained network to .h5 and load it back."""

import os
import tempfile

import numpy as np

import minikeras as keras
from p03_compile_fit import make_data


def main(folder=None):
    x, y = make_data()
    model = keras.models.Sequential([keras.layers.Dense(5, input_dim=4), keras.layers.Dense(3)])
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    folder = folder or tempfile.mkdtemp()
    path = os.path.join(folder, "network.h5")
    model.save(path)
    loaded = keras.models.load_model(path)
    same = np.array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    print(f"saved {path}; reloaded predictions identical: {same}")
    loaded.fit(x, y, epochs=1, verbose=0)  # the reloaded model is compiled and trains on
    return model, loaded, path


if __name__ == "__main__":
    main()
