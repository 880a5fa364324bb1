"""pg.promote_types, pg.result_type, pg.finfo / iinfo and the default dtype against torch."""
import itertools

import pytest

import pygrad as pg

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


def _name(d):
    return str(d).split(".")[-1]


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promote_types_matches_torch(a, b):
    assert _name(pg.promote_types(getattr(pg, a if a != "bool" else "bool_"),
                                  getattr(pg, b if b != "bool" else "bool_"))) == \
        _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("other", ["tensor0d_f64", "tensor0d_i64", 2, 2.5, True, "tensor_i32"])
def test_result_type_matches_torch(a, other):
    def build(lib):
        t = lib.ones(2, dtype=getattr(lib, a if a != "bool" or lib is torch else "bool_"))
        o = {"tensor0d_f64": lambda: lib.tensor(1.0, dtype=lib.float64),
             "tensor0d_i64": lambda: lib.tensor(1),
             "tensor_i32": lambda: lib.ones(2, dtype=lib.int32)}.get(other, lambda: other)()
        return lib.result_type(t, o)
    assert _name(build(pg)) == _name(build(torch))


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_finfo_matches_torch(name):
    p, t = pg.finfo(getattr(pg, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(p, attr) == getattr(t, attr), attr
    assert pg.finfo().eps == torch.finfo().eps
    with pytest.raises(TypeError):
        pg.finfo(pg.int32)


@pytest.mark.parametrize("name", ["uint8", "int32", "int64"])
def test_iinfo_matches_torch(name):
    p, t = pg.iinfo(getattr(pg, name)), torch.iinfo(getattr(torch, name))
    assert (p.bits, p.max, p.min) == (t.bits, t.max, t.min)
    with pytest.raises(TypeError):
        pg.iinfo(pg.float32)


def test_default_dtype():
    assert _name(pg.get_default_dtype()) == _name(torch.get_default_dtype()) == "float32"
