"""torch.testing: ``assert_close`` with torch's default tolerances per dtype."""
from __future__ import annotations

import numpy as np

__all__ = ["assert_close", "assert_allclose"]

# (rtol, atol) by dtype, as torch.testing.assert_close
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _array(x):
    from .tensor import Tensor
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy(), x
    return np.asarray(x), None


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` (tensors, arrays, numbers, or
    sequences / mappings of them) agree: same shape, dtype and device (unless turned off)
    and ``|actual − expected| ≤ atol + rtol·|expected|`` elementwise, with torch's default
    tolerances for the dtype when neither is given (exact for integers and bools)."""
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: both 'rtol' and 'atol' must be either specified or "
                         "omitted")
    if isinstance(actual, dict) and isinstance(expected, dict):
        if actual.keys() != expected.keys():
            raise AssertionError(f"assert_close: the keys differ: {sorted(actual)} and "
                                 f"{sorted(expected)}")
        for k in actual:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"assert_close: the lengths differ: {len(actual)} and "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    a, ta = _array(actual)
    e, te = _array(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                                    f"{tuple(a.shape)} != {tuple(e.shape)}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                    f"{a.dtype} != {e.dtype}.")
    if check_device and ta is not None and te is not None and ta.device != te.device:
        raise AssertionError(msg or f"The values for attribute 'device' do not match: "
                                    f"{ta.device} != {te.device}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(str(np.promote_types(a.dtype, e.dtype)), (0.0, 0.0))
    af, ef = a.astype(np.float64), e.astype(np.float64)
    close = np.isclose(af, ef, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if not close.all():
        bad = int((~close).sum())
        diff = np.abs(af - ef)
        diff[~np.isfinite(diff)] = np.inf
        i = np.unravel_index(np.argmax(np.where(close, -1, diff)), a.shape) if a.ndim else ()
        raise AssertionError(msg or (
            f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {a.size} "
            f"({100 * bad / max(a.size, 1):.1f}%)\nGreatest absolute difference: "
            f"{float(np.max(np.where(close, 0, diff)))} at index {tuple(map(int, i))} "
            f"(up to {atol} allowed)\nrtol={rtol}, atol={atol}"))


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """The deprecated torch.testing.assert_allclose: assert_close without the dtype check."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)
