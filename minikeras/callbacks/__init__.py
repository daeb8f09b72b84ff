"""Callbacks (`keras.callbacks`)."""

from minikeras.callbacks.backup_and_restore import BackupAndRestore  # noqa: F401
from minikeras.callbacks.callback import Callback, CallbackList, History, ProgbarLogger  # noqa: F401
from minikeras.callbacks.csv_logger import CSVLogger  # noqa: F401
from minikeras.callbacks.early_stopping import EarlyStopping  # noqa: F401
from minikeras.callbacks.model_checkpoint import ModelCheckpoint  # noqa: F401
from minikeras.callbacks.monitor import MonitorCallback  # noqa: F401
from minikeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau  # noqa: F401
from minikeras.callbacks.simple import LambdaCallback, LearningRateScheduler, TerminateOnNaN  # noqa: F401
# --- data in, results out (issue 10, branch `data`) ---
from minikeras.callbacks.tensorboard import TensorBoard  # noqa: F401,E402
