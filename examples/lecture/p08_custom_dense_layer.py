"""Pattern 8: a Dense layer written by the user, with K.dot and K.bias_add, in a Sequential."""

import minikeras as keras
from minikeras import backend as K
from p03_compile_fit import EPOCHS, make_data


class MyDense(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform")
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        output = K.dot(inputs, self.kernel)
        if self.use_bias:
            output = K.bias_add(output, self.bias, data_format="channels_last")
        if self.activation is not None:
            output = self.activation(output)
        return output

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)


def main():
    x, y = make_data()
    model = keras.models.Sequential([MyDense(8, activation="tanh", input_dim=4), MyDense(3)])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    print(f"custom Dense: {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f}")
    return model, history


if __name__ == "__main__":
    main()
