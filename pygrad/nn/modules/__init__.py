"""The layers of pygrad.nn (torch.nn's names)."""
from .activation import Dropout, Flatten, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .linear import Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module

__all__ = ["Module", "Linear", "Identity", "Sequential", "ModuleList", "Sigmoid", "ReLU", "Tanh",
           "Softmax", "LogSoftmax", "Dropout", "Flatten", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss", "MSELoss"]
