"""Reverse-mode automatic differentiation: the engine, grad mode, gradcheck, and custom
Functions the torch way (``Function`` here is torch's ``autograd.Function``; the ops' own base
class, forward on arrays and backward in Tensor ops, is ``pygrad.autograd.function.Function``)."""
from .custom import Function, FunctionCtx
from .engine import backward, grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "FunctionCtx", "backward", "grad", "gradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled"]
