"""Tensor creation, dtypes, conversion, and the errors users meet first."""
import numpy as np
import pytest

import pygrad as pg
import pygrad.nn.functional as F


def test_default_dtypes():
    assert pg.tensor([1.0, 2.0]).dtype == pg.float32
    assert pg.tensor([1, 2]).dtype == pg.int64
    assert pg.tensor([True]).dtype == pg.bool
    assert pg.tensor(np.zeros(2)).dtype == pg.float64     # arrays keep their dtype, as torch
    assert pg.zeros(2, 3).dtype == pg.float32 and pg.zeros(2, 3).shape == (2, 3)
    assert pg.zeros((2, 3)).shape == (2, 3)
    assert pg.arange(5).dtype == pg.int64 and pg.arange(0.0, 1.0, 0.25).shape == (4,)


def test_tensor_copies_but_from_numpy_shares():
    a = np.ones(3, dtype=np.float32)
    t = pg.tensor(a)
    s = pg.from_numpy(a)
    a[0] = 5
    assert t[0].item() == 1 and s[0].item() == 5


def test_conversions(device):
    t = pg.tensor([[1.5, 2.5]], device=device)
    assert t.tolist() == [[1.5, 2.5]]
    assert t.double().dtype == pg.float64 and t.long().tolist() == [[1, 2]]
    assert t.cpu().device == "cpu" and t.to(device).device == device
    assert t[0, 1].item() == 2.5 and float(t[0, 0]) == 1.5
    with pytest.raises(RuntimeError, match="one-element"):
        t.item()


def test_unsupported_dtype_and_data():
    with pytest.raises(TypeError, match="complex64"):
        pg.tensor(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="numeric"):
        pg.tensor(["a", "b"])
    with pytest.raises(TypeError, match="dtype"):
        pg.zeros(2, dtype="complex64")


def test_repr_mentions_grad_state():
    x = pg.tensor([1.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert "float64" in repr(pg.zeros(1, dtype=pg.float64))


def test_manual_seed_repeats():
    pg.manual_seed(7)
    a = pg.randn(3).numpy().copy()
    pg.manual_seed(7)
    np.testing.assert_array_equal(a, pg.randn(3).numpy())


def test_comparisons_and_masks():
    x = pg.tensor([1.0, -2.0, 3.0])
    assert (x > 0).tolist() == [True, False, True]
    assert x.masked_fill(x < 0, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert (~(x > 0)).tolist() == [False, True, False]


def test_device_parsing():
    assert pg.device("cpu") is pg.device("CPU")
    assert str(pg.device("cpu")) == "cpu"
    with pytest.raises(ValueError, match="expected 'cpu', 'cuda' or 'cuda:N'"):
        pg.device("tpu")
    with pytest.raises(ValueError, match="non-negative integer"):
        pg.device("cuda:x")


# ----------------------------------------------------------------------------- bad input

def test_shape_mismatch_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"\(3,4\).*\(5,\)|\(3, ?4\).*\(5,\)"):
        pg.ones(3, 4) + pg.ones(5)
    with pytest.raises(RuntimeError, match=r"shapes \(2, 3\) and \(4, 5\)"):
        pg.ones(2, 3) @ pg.ones(4, 5)
    with pytest.raises(ValueError, match=r"target size \(3,\) must be the same as input size"):
        F.mse_loss(pg.ones(4), pg.ones(3))
    with pytest.raises(RuntimeError, match=r"invalid for input of shape \(2, 3\)"):
        pg.ones(2, 3).reshape(4, 2)


def test_dtype_mismatch_in_matmul_and_linear():
    with pytest.raises(RuntimeError, match="float32 and float64"):
        pg.ones(2, 2) @ pg.ones(2, 2, dtype=pg.float64)
    with pytest.raises(RuntimeError, match="does not match weight dtype"):
        F.linear(pg.ones(2, 3), pg.ones(4, 3, dtype=pg.float64))


def test_cross_entropy_bad_targets():
    x = pg.randn(3, 4)
    with pytest.raises(IndexError, match="target 7 is out of bounds for 4 classes"):
        F.cross_entropy(x, pg.tensor([0, 7, 1]))
    with pytest.raises(IndexError, match="target -3 is out of bounds"):
        F.cross_entropy(x, pg.tensor([0, -3, 1]))
    with pytest.raises(TypeError, match="dtype int64"):
        F.cross_entropy(x, pg.tensor([True, False, True]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(x, pg.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        F.cross_entropy(x, pg.tensor([0, 1, 2]), weight=pg.ones(3))
    with pytest.raises(ValueError, match="reduction must be"):
        F.cross_entropy(x, pg.tensor([0, 1, 2]), reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, pg.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="Tensor"):
        F.cross_entropy(x, [0, 1, 2])


def test_bce_input_out_of_range():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(pg.tensor([1.5]), pg.tensor([1.0]))


def test_empty_and_dim_errors():
    with pytest.raises(RuntimeError, match="non-empty"):
        pg.zeros(0).max()
    with pytest.raises(IndexError, match="dim 3 is out of range"):
        pg.ones(2, 2).sum(3)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        pg.ones(2, 2).softmax(2)
    with pytest.raises(TypeError, match="floating-point"):
        pg.tensor([1, 2]).softmax(0)
    with pytest.raises(RuntimeError, match="not a permutation"):
        pg.ones(2, 3).permute(0, 0)


def test_indexing_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        pg.ones(2, 3)[5]
    with pytest.raises(IndexError, match="integer or bool"):
        pg.ones(3)[pg.tensor([0.5])]


def test_tensors_on_two_devices_in_one_op_name_both():
    # a stand-in cuda tensor: the device check runs before any backend is touched
    fake = pg.Tensor._make(np.ones(2, dtype=np.float32), pg.device("cuda:0"))
    fake_w = pg.Tensor._make(np.ones((3, 2), dtype=np.float32), pg.device("cuda:0"))
    x = pg.ones(2)
    for op in (lambda: x + fake, lambda: x * fake, lambda: pg.where(x > 0, x, fake),
               lambda: F.linear(x, fake_w)):
        with pytest.raises(RuntimeError, match=r"cpu and cuda:0"):
            op()
    with pytest.raises(RuntimeError, match="input is on cpu but target is on cuda:0"):
        F.binary_cross_entropy_with_logits(x, fake)
