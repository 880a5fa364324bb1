"""Parameters as one flat vector and back (torch.nn.utils.convert_parameters's)."""
from __future__ import annotations

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, device, what: str):
    if device is not None and param.device != device:
        raise TypeError(f"{what}: found two parameters on different devices, {device} and "
                        f"{param.device}; all parameters must be on the same device")
    return param.device


def parameters_to_vector(parameters):
    """All of ``parameters`` flattened and concatenated in order into one 1-D tensor
    (differentiable: gradients flow back to the parameters)."""
    import pygrad as pg
    device, flat = None, []
    for p in parameters:
        device = _check_device(p, device, "parameters_to_vector")
        flat.append(p.reshape(-1))
    if not flat:
        raise ValueError("parameters_to_vector: expected at least one parameter, got none")
    return pg.cat(flat)


def vector_to_parameters(vec, parameters) -> None:
    """Give each of ``parameters``, in order, the next ``p.numel()`` elements of ``vec`` as
    its data (a view of ``vec``, reshaped to the parameter's shape, as torch's ``p.data =``)."""
    from ...tensor import Tensor
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got "
                        f"{type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vec, got shape "
                         f"{tuple(vec.shape)}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total > vec.shape[0]:    # a longer vec is accepted, its tail unused, as torch
        raise ValueError(f"vector_to_parameters: vec has {vec.shape[0]} elements, the "
                         f"parameters need {total} together")
    device, start = None, 0
    for p in params:
        device = _check_device(p, device, "vector_to_parameters")
        if vec.device != p.device:
            raise TypeError(f"vector_to_parameters: vec is on {vec.device} but the parameters "
                            f"are on {p.device}")
        n = p.numel()
        p._data = vec._data[start:start + n].reshape(p.shape)
        start += n
