"""What the engine core uses of the ``cython`` module, for an install without Cython: the
declarations that make the compiled core fast change nothing when the source runs as
Python (Cython's own pure-Python ``cython`` module behaves the same way)."""

compiled = False
Py_ssize_t = int
bint = bool


def cclass(cls):
    return cls


def locals(**types):  # noqa: A001 - Cython's name
    return lambda fn: fn


def cast(type_, value):
    return value


def cfunc(fn):
    return fn
