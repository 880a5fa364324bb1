"""Neural-network building blocks (torch.nn's names)."""
from . import functional  # noqa: F401
from . import init  # noqa: F401
from .modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Flatten, Identity,
                      Linear, LogSoftmax, Module, ModuleList, MSELoss, NLLLoss, ReLU, Sequential,
                      Sigmoid, Softmax, Tanh)
from .parameter import Parameter

__all__ = ["functional", "init", "Parameter", "Module", "Linear", "Identity", "Sequential",
           "ModuleList", "Sigmoid", "ReLU", "Tanh", "Softmax", "LogSoftmax", "Dropout", "Flatten",
           "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss"]


def __getattr__(name):
    # nn.utils and nn.parallel load on first use, as torch's
    import importlib
    if name in ("utils", "parallel"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pygrad.nn' has no attribute {name!r}")
