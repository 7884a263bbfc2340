"""Layers and containers of ``core.nn``, one file per family (as torch.nn.modules)."""

from core.nn.modules.activation import *
from core.nn.modules.attention import *
from core.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from core.nn.modules.conv import *
from core.nn.modules.dropout import *
from core.nn.modules.flatten import *
from core.nn.modules.linear import *
from core.nn.modules.loss import *
from core.nn.modules.module import Module, RemovableHandle
from core.nn.modules.normalization import *
from core.nn.modules.pooling import *
from core.nn.modules.rnn import *
from core.nn.modules.sparse import *
from core.nn.modules.transformer import *
