# Declarations for the compiled engine core (see pygrad/autograd/function.pxd): tensor.py
# types its arithmetic fast path with the Tensor's field struct.
from pygrad.autograd.function cimport Function, TensorBase
