"""Reverse-mode automatic differentiation: the engine, grad mode, gradcheck, and custom
Functions the torch way (``Function`` here is torch's ``autograd.Function``; the ops' own base
class, forward on arrays and backward in Tensor ops, is ``pygrad.autograd.function.Function``).
``functional`` is torch.autograd.functional (jacobian, hessian, vjp, jvp, hvp, vhp)."""
from . import functional
from .custom import Function, FunctionCtx
from .engine import backward, grad
from .grad_mode import (detect_anomaly, enable_grad, is_anomaly_check_nan_enabled,
                        is_anomaly_enabled, is_grad_enabled, no_grad, set_detect_anomaly,
                        set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "gradgradcheck",
           "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "functional", "Variable", "inference_mode"]


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 - torch's name
    """The pre-0.4 torch wrapper, kept for old code: ``Variable(t)`` is ``t`` itself (with
    ``requires_grad`` set when asked); other data becomes a tensor."""
    from ..tensor import Tensor, tensor
    t = data if isinstance(data, Tensor) else tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def __getattr__(name):
    if name == "inference_mode":             # defined with the other runtime settings
        from ..runtime import inference_mode
        return inference_mode
    raise AttributeError(f"module 'pygrad.autograd' has no attribute {name!r}")
