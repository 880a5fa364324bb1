# Declarations for the compiled engine core (Cython's pure-Python mode): the fields of the
# two graph nodes as C struct members. function.py is the source; see pygrad/_core.py.

cdef class TensorBase:
    cdef public object _data, device, _grad, _ctx, _hooks
    cdef public bint _requires_grad, _unit
    cdef public Py_ssize_t _version
    cdef object __weakref__

cpdef TensorBase new_tensor(type cls, object array, object device, bint requires_grad=*)

cdef class Function:
    cdef public object inputs, needs_input_grad, backend, _output
    cdef public bint _output_hooked
    cdef public Py_ssize_t _vsum, _epoch
    cdef object __weakref__

    cpdef release(self)
