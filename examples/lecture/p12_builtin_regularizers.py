"""Pattern 12: keras.regularizers.L1L2(l1=..., l2=...), l1(...) and l2(...)."""

import minikeras as keras
from p03_compile_fit import EPOCHS, make_data


def main():
    x, y = make_data()
    model = keras.models.Sequential([
        keras.layers.Dense(8, input_dim=4, kernel_regularizer=keras.regularizers.L1L2(
            l1=0.001, l2=0.001)),
        keras.layers.Dense(8, kernel_regularizer=keras.regularizers.l1(0.001)),
        keras.layers.Dense(3, kernel_regularizer=keras.regularizers.l2(0.001))])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    print("penalties now:", [round(float(p.numpy()), 5) for p in model.losses])
    return model, history


if __name__ == "__main__":
    main()
