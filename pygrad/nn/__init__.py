"""Neural-network building blocks (torch.nn's names)."""
from . import functional, init, modules  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "Parameter", "Buffer"] + modules.__all__


def __getattr__(name):
    # nn.utils and nn.parallel load on first use, as torch's
    import importlib
    if name in ("utils", "parallel"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pygrad.nn' has no attribute {name!r}")
