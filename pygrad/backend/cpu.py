"""The cpu backend (placeholder until the compiled kernels land): the reference code."""
from .reference import *  # noqa: F401,F403
from .reference import xp  # noqa: F401

name = "cpu"
