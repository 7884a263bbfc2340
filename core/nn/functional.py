"""``core.nn.functional``: PyTorch's functional API for layers, activations and losses.

Each area lives in its own module under core/ops (Functions and their entry points
side by side); this module gathers their public names.
"""

from core.ops.activation import *  # noqa: F403
from core.ops.adaptive_pool import *  # noqa: F403
from core.ops.attention import *  # noqa: F403
from core.ops.conv import *  # noqa: F403
from core.ops.distance import *  # noqa: F403
from core.ops.linalg import Linear as _Linear
from core.ops.linalg import Matmul as _Matmul
from core.ops.loss import *  # noqa: F403
from core.ops.norm import *  # noqa: F403
from core.ops.pool import *  # noqa: F403
from core.ops.pool1d import *  # noqa: F403
from core.tensor import Tensor as _Tensor


def linear(input: _Tensor, weight: _Tensor, bias: _Tensor | None = None) -> _Tensor:
    """y = input @ weight.T + bias (one fused op). A 1-D weight (in,) gives one output
    feature with the last dim dropped, as in PyTorch: input @ weight + bias."""
    if weight.ndim == 1:
        out = _Matmul.apply(input, weight)  # (..., in) x (in,) -> (...)
        return out if bias is None else out + bias
    return _Linear.apply(input, weight, bias)
