"""Optimizers and learning-rate schedulers, with PyTorch's names and update rules."""

from core.optim import lr_scheduler
from core.optim.adagrad import Adagrad
from core.optim.adam import Adam
from core.optim.adamw import AdamW
from core.optim.optimizer import Optimizer, required
from core.optim.rmsprop import RMSprop
from core.optim.sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD", "lr_scheduler"]
