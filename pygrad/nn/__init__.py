"""Neural-network building blocks (torch.nn's names)."""
from . import functional  # noqa: F401
