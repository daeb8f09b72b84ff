"""Pattern 10: the optimiser by string 'sgd', and SGD(lr=..., decay=...) in Keras 2 spelling."""

from minikeras import backend as K
import minikeras as keras
from p03_compile_fit import EPOCHS, make_data


def main():
    x, y = make_data()
    model = keras.models.Sequential([keras.layers.Dense(5, input_dim=4), keras.layers.Dense(3)])
    sgd = keras.optimizers.SGD(lr=0.05, decay=1e-2)
    model.compile(optimizer=sgd, loss="mse")
    model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    steps = int(K.eval(sgd.iterations))
    effective = 0.05 / (1 + 1e-2 * steps)
    print(f"after {steps} updates the decayed learning rate is {effective:.5f}")
    other = keras.models.Sequential([keras.layers.Dense(3, input_dim=4)])
    other.compile("sgd", "mse")
    return sgd, steps, other


if __name__ == "__main__":
    main()
