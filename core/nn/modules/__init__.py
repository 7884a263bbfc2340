"""Layers and containers of ``core.nn``, one file per family (as torch.nn.modules)."""

from core.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from core.nn.modules.module import Module, RemovableHandle
