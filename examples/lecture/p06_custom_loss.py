"""Pattern 6: a loss written by the user with the backend K, passed to compile(loss=...)."""

import minikeras as keras
from minikeras import backend as K
from p03_compile_fit import EPOCHS, make_data


def my_mean_squared_error(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true), axis=-1)


def main():
    x, y = make_data()
    model = keras.models.Sequential([keras.layers.Dense(5, input_dim=4), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=my_mean_squared_error)
    history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    print(f"custom loss: {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f}")
    return model, history


if __name__ == "__main__":
    main()
