"""Keras 2's `keras.utils.vis_utils` (`from keras.utils.vis_utils import plot_model`)."""

from minikeras.utils.model_visualization import model_to_dot, plot_model  # noqa: F401
