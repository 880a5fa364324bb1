# Declarations for the compiled engine core (see function.pxd): engine.py types its graph
# walk with the two node types.
from pygrad.autograd.function cimport Function, TensorBase
