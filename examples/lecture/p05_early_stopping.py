"""Pattern 5: EarlyStopping in callbacks=[...] stops training when val_loss stalls."""

import numpy as np

import minikeras as keras


def main():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 10))
    y = x[:, :1] + rng.normal(scale=1.0, size=(60, 1))  # noisy, easy to over-fit
    model = keras.models.Sequential([keras.layers.Dense(64, activation="relu", input_dim=10),
                                     keras.layers.Dense(64, activation="relu"),
                                     keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                            restore_best_weights=True)
    history = model.fit(x, y, validation_split=0.3, epochs=200, batch_size=16, verbose=0,
                        callbacks=[stopper])
    print(f"stopped after {len(history.history['loss'])} of 200 epochs "
          f"(stopped_epoch={stopper.stopped_epoch})")
    return history, stopper


if __name__ == "__main__":
    main()
