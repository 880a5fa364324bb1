"""torch.utils.data.dataloader's path (``from torch.utils.data.dataloader import ...``)."""
from ...data.loader import DataLoader, default_collate, default_convert, get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
