"""Callbacks (`keras.callbacks`)."""

from minikeras.callbacks.callback import Callback, CallbackList, History, ProgbarLogger  # noqa: F401
from minikeras.callbacks.early_stopping import EarlyStopping  # noqa: F401
from minikeras.callbacks.monitor import MonitorCallback  # noqa: F401
from minikeras.callbacks.simple import LambdaCallback, LearningRateScheduler, TerminateOnNaN  # noqa: F401
