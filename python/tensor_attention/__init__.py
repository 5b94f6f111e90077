"""Higher-order softmax attention on the tensor-attention Java kernels, in-process through JPype.

    import numpy as np, tensor_attention as ta
    r = ta.forward(q, [k1, k2], [v1, v2], causal=True)      # order 3
    r.output, r.lse, r.method, r.seconds
    dec = ta.ExactDecoder(3, d, dv)                          # exact decoding with a cache
    o, lse = dec.append(q[0], [k1[0], k2[0]], [v1[0], v2[0]])

tensor_attention.torch has the same as a torch.autograd.Function and an nn.Module. The JVM starts on import and
warms the kernels up in the background on a tiny problem; TENSOR_ATTENTION_WARMUP=0 turns that off.
"""

from ._api import AttentionResult, ExactDecoder, GradientResult, backward, forward, loss_gradient
from ._warmup import start as _start_warmup, warm_up

_start_warmup()

__all__ = ["forward", "backward", "loss_gradient", "ExactDecoder", "AttentionResult", "GradientResult",
           "vector_path", "warm_up"]


def vector_path():
    """True when the kernels run on the Vector API (the JVM was started with jdk.incubator.vector)."""
    from . import _api
    _api.java()
    import jpype
    return bool(jpype.JClass("java.lang.ModuleLayer").boot().findModule("jdk.incubator.vector").isPresent())
