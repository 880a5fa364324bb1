"""The layers of pygrad.nn (torch.nn's names), grouped by family."""
from . import activation, container, linear, loss, normalization, padding, sparse
from .activation import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .module import Module
from .normalization import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403

__all__ = (["Module"] + activation.__all__ + container.__all__ + linear.__all__ + loss.__all__
           + normalization.__all__ + padding.__all__ + sparse.__all__)
