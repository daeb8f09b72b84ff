"""Drawing a model's graph with keras.utils.plot_model.

`plot_model` draws one box per layer and an arrow per connection; `show_shapes=True` adds each
layer's input and output shapes, `show_layer_activations=True` its activation. With pydot and
Graphviz installed (`pip install pydot`, plus the Graphviz programs) Graphviz draws it, as in
Keras; without them minikeras draws the same graph with matplotlib, so there is always a
picture. `model_to_dot` gives the pydot graph itself.

The model here has two inputs, as in a functional-API tutorial: a 20-number description of
a house and 4 numbers about its neighbourhood, a hidden layer on the first, then both joined
to predict a price and the probability that it sells within a month.

Run: python examples/plot_model.py   (--docs copies the figure into docs/images/)
"""

from _common import DOCS_IMAGES, docs, output_dir, pyplot  # first: it sets up BLAS

import shutil

import minikeras as keras


def build():
    house = keras.Input(shape=(20,), name="house")
    area = keras.Input(shape=(4,), name="neighbourhood")
    h = keras.layers.Dense(32, activation="relu", name="house_features")(house)
    joined = keras.layers.Concatenate(name="join")([h, area])
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(joined)
    price = keras.layers.Dense(1, name="price")(hidden)
    sells = keras.layers.Dense(1, activation="sigmoid", name="sells_soon")(hidden)
    return keras.Model([house, area], [price, sells], name="house_model")


def main():
    model = build()
    model.summary()
    path = output_dir() / "plot_model.png"
    if pyplot() is None and not keras.utils.model_visualization.check_graphviz():
        return {"path": None, "layers": len(model.layers)}
    keras.utils.plot_model(model, to_file=str(path), show_shapes=True,
                           show_layer_names=True, show_layer_activations=True, dpi=80)
    print(f"figure saved to {path}")
    if docs():
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / path.name)
        print(f"copied to {DOCS_IMAGES / path.name}")
    return {"path": str(path), "layers": len(model.layers)}


if __name__ == "__main__":
    main()
