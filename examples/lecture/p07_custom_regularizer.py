"""Pattern 7: a regulariser written by the user as a Regularizer subclass."""

import minikeras as keras
from minikeras import backend as K
from p03_compile_fit import EPOCHS, make_data


class MyL1L2(keras.regularizers.Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = K.cast_to_floatx(l1)
        self.l2 = K.cast_to_floatx(l2)

    def __call__(self, x):
        regularization = 0.0
        if self.l1:
            regularization += K.sum(self.l1 * K.abs(x))
        if self.l2:
            regularization += K.sum(self.l2 * K.square(x))
        return regularization

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


def main():
    x, y = make_data()
    model = keras.models.Sequential([
        keras.layers.Dense(5, input_dim=4, kernel_regularizer=MyL1L2(l1=0.01, l2=0.01)),
        keras.layers.Dense(3)])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    kernel = model.layers[0].kernel
    mine = float(K.eval(MyL1L2(l1=0.01, l2=0.01)(kernel)))
    builtin = float(K.eval(keras.regularizers.L1L2(l1=0.01, l2=0.01)(kernel)))
    print(f"penalty: custom {mine:.6f}, built-in L1L2 {builtin:.6f}")
    return history, mine, builtin


if __name__ == "__main__":
    main()
