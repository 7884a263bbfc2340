"""Neural-network building blocks (``core.nn``), PyTorch-shaped."""

from core.nn import functional, init, utils  # noqa: F401
from core.nn.modules import *  # noqa: F403
from core.nn.parameter import Parameter
