"""pygrad.utils.data against torch.utils.data: collation, datasets, samplers, the DataLoader
(orders, lengths, batching modes, argument errors) and its worker threads."""
import collections
import gc
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import pygrad as pg
from pygrad.utils import data as D

torch = pytest.importorskip("torch")
TD = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])


def same(ours, theirs):
    """Assert that a pygrad structure matches torch's: container types, keys, tensor dtypes,
    shapes and values."""
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, pg.Tensor), f"expected a tensor, got {type(ours).__name__}"
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs), f"{type(ours).__name__} != {type(theirs).__name__}"
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def to_torch(x):
    """The same sample with pygrad tensors turned into torch tensors."""
    if isinstance(x, pg.Tensor):
        return torch.from_numpy(x.numpy().copy())
    if isinstance(x, dict):
        return {k: to_torch(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(to_torch(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    return x


# ----------------------------------------------------------------------------- names

def test_torch_names_are_importable():
    names = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
             "ChainDataset", "Subset", "random_split", "DataLoader", "default_collate",
             "default_convert", "get_worker_info", "Sampler", "SequentialSampler",
             "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]
    for name in names:
        assert hasattr(TD, name), name          # the names are torch's
        assert getattr(D, name) is getattr(pg.data, name)
    from pygrad.utils.data import DataLoader, TensorDataset  # noqa: F401
    assert pg.utils.data is D
    # torch's submodule paths, used by older scripts
    import importlib
    for sub in ("dataloader", "dataset", "sampler"):
        ours = importlib.import_module(f"pygrad.utils.data.{sub}")
        theirs = importlib.import_module(f"torch.utils.data.{sub}")
        assert ours.__all__ and all(hasattr(theirs, n) for n in ours.__all__)
        assert all(getattr(ours, n) is getattr(D, n) for n in ours.__all__)


def test_distributed_sampler_is_lazy(monkeypatch):
    # importing pygrad.utils.data never needs pygrad.data.distributed
    monkeypatch.setitem(sys.modules, "pygrad.data.distributed", None)
    with pytest.raises(AttributeError, match="DistributedSampler"):
        D.DistributedSampler        # noqa: B018
    with pytest.raises(ImportError):
        from pygrad.utils.data import DistributedSampler  # noqa: F401
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        D.Nope                      # noqa: B018


# ----------------------------------------------------------------------------- collation

COLLATE_CASES = [
    [0, 1, 2],
    [0.5, 1.5],
    [True, False],
    [np.float32(1.5), np.float32(2)],
    [np.int32(3), np.int32(4)],
    [np.bool_(True), np.bool_(False)],
    [np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((2, 3), np.float32)],
    [np.arange(3), np.arange(3) * 2],
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    [np.array(5, dtype=np.uint8), np.array(6, dtype=np.uint8)],
    ["a", "b"],
    [b"a", b"b"],
    [(1, 2.0), (3, 4.0)],
    [[1, 2], [3, 4]],
    [{"a": 1, "b": np.float32(2)}, {"a": 3, "b": np.float32(4)}],
    [Point(1, 2.0), Point(3, 4.0)],
    [({"x": np.ones(2, np.float32), "y": [1, "s"]}, 0.5),
     ({"x": np.zeros(2, np.float32), "y": [2, "t"]}, 1.5)],
    [{"nested": (np.int64(1), (2, 3.5))}, {"nested": (np.int64(4), (5, 6.5))}],
]


@pytest.mark.parametrize("batch", COLLATE_CASES, ids=range(len(COLLATE_CASES)))
def test_default_collate_as_torch(batch):
    same(D.default_collate(batch), TD.default_collate(batch))
    same(D.default_convert(batch[0]), TD.default_convert(batch[0]))


def test_default_collate_tensors_as_torch():
    rng = np.random.default_rng(0)
    a = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    ours = D.default_collate([(pg.tensor(x), pg.tensor(i)) for i, x in enumerate(a)])
    theirs = TD.default_collate([(torch.tensor(x), torch.tensor(i)) for i, x in enumerate(a)])
    same(ours, theirs)
    t = pg.tensor([1.0, 2.0])
    assert D.default_convert(t) is t


def test_default_collate_errors_as_torch():
    for batch, cls, match in [
        ([(1, 2), (3,)], RuntimeError, "equal size"),
        ([np.array(["a"]), np.array(["b"])], TypeError, "batch must contain tensors"),
        ([object(), object()], TypeError, "batch must contain tensors, numpy arrays, numbers"),
    ]:
        with pytest.raises(cls):
            TD.default_collate(batch)
        with pytest.raises(cls, match=match):
            D.default_collate(batch)


# ----------------------------------------------------------------------------- datasets

class Squares:
    """A map-style dataset of (array, int, dict) samples, as both libraries' Dataset."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i, {"half": i / 2}


class Stream:
    """An iterable dataset that gives each worker every num_workers-th item."""

    def __init__(self, n, get_info):
        self.n, self.get_info = n, get_info

    def __iter__(self):
        info = self.get_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def squares(lib, n=11):
    return type("Sq", (Squares, lib.Dataset), {})(n)


def stream(lib, n=10):
    return type("St", (Stream, lib.IterableDataset), {})(n, lib.get_worker_info)


def test_tensor_dataset_subset_concat_chain_stack_as_torch():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    ours = D.TensorDataset(pg.tensor(x), pg.tensor(y))
    theirs = TD.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(theirs)
    same(list(ours[2]), list(theirs[2]))

    sub_o, sub_t = D.Subset(ours, [4, 0, 3]), TD.Subset(theirs, [4, 0, 3])
    assert len(sub_o) == len(sub_t)
    for i in range(3):
        same(list(sub_o[i]), list(sub_t[i]))

    c_o = D.ConcatDataset([squares(D, 3), squares(D, 0), squares(D, 4)])
    c_t = TD.ConcatDataset([squares(TD, 3), squares(TD, 0), squares(TD, 4)])
    assert c_o.cumulative_sizes == c_t.cumulative_sizes and len(c_o) == len(c_t)
    for i in list(range(-7, 7)):
        same(to_torch(list(c_o[i])), list(c_t[i]))
    assert isinstance(squares(D, 2) + squares(D, 3), D.ConcatDataset)
    for lib, cls in ((D, ValueError), (TD, ValueError)):
        with pytest.raises(cls, match="absolute value of index"):
            lib.ConcatDataset([squares(lib, 2)])[-3]
    for lib in (D, TD):
        with pytest.raises(AssertionError, match="empty iterable"):
            lib.ConcatDataset([])
        with pytest.raises(AssertionError, match="does not support IterableDataset"):
            lib.ConcatDataset([stream(lib)])

    ch_o, ch_t = stream(D, 3) + stream(D, 2), stream(TD, 3) + stream(TD, 2)
    assert isinstance(ch_o, D.ChainDataset)
    assert list(ch_o) == list(ch_t) and len(ch_o) == len(ch_t)

    st_o = D.StackDataset(squares(D, 4), list(range(4)))
    st_t = TD.StackDataset(squares(TD, 4), list(range(4)))
    assert len(st_o) == len(st_t)
    assert repr(st_o[2]) == repr(st_t[2])
    kw_o, kw_t = D.StackDataset(a=[1, 2], b=[3, 4]), TD.StackDataset(a=[1, 2], b=[3, 4])
    assert kw_o[1] == kw_t[1] and kw_o.__getitems__([1, 0]) == kw_t.__getitems__([1, 0])
    for lib in (D, TD):
        with pytest.raises(ValueError):
            lib.StackDataset([1], [1, 2])
        with pytest.raises(ValueError):
            lib.StackDataset()


def test_tensor_dataset_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="tensor 1 has 2 rows, expected 3"):
        D.TensorDataset(pg.zeros(3), pg.zeros(2))
    with pytest.raises(ValueError, match="at least one tensor"):
        D.TensorDataset()


@pytest.mark.parametrize("n,lengths", [
    (10, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (11, [0.3, 0.3, 0.4]), (7, [0.1, 0.9]),
    (5, [1, 0]), (9, [2, 7]), (3, [0.2, 0.2, 0.2, 0.2, 0.2]),
])
def test_random_split_lengths_as_torch(n, lengths):
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = D.random_split(range(n), lengths, generator=0)
    with warnings.catch_warnings(record=True) as torch_warned:
        warnings.simplefilter("always")
        theirs = TD.random_split(range(n), lengths, generator=torch.Generator().manual_seed(0))
    # an empty split is warned about, as torch does
    assert len(ours_warned) == len(torch_warned)
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s) == list(range(n))


@pytest.mark.parametrize("lengths", [[6, 3], [0.5, 0.6], [-1, 11], [1.5, 8.5]])
def test_random_split_errors_as_torch(lengths):
    if lengths[0] >= 0 and float(lengths[0]).is_integer() or lengths[1] < 1:
        with pytest.raises(ValueError):     # torch takes [-1, 11] and fails on [1.5, 8.5]
            TD.random_split(range(10), lengths)
    with pytest.raises(ValueError, match="lengths sum to|non-negative integers or fractions"):
        D.random_split(range(10), lengths)


def test_generator_forms():
    a = D.random_split(range(20), [10, 10], generator=5)[0].indices
    b = D.random_split(range(20), [10, 10], generator=np.random.default_rng(5))[0].indices
    np.testing.assert_array_equal(a, b)
    # a torch or pygrad Generator is read through its seed
    c = D.random_split(range(20), [10, 10], generator=torch.Generator().manual_seed(5))[0]
    np.testing.assert_array_equal(a, c.indices)
    # a pg.Generator (anything carrying a NumPy Generator as .rng) is drawn from in place
    holder = type("Holder", (), {"rng": np.random.default_rng(5)})()
    e = D.random_split(range(20), [10, 10], generator=holder)[0].indices
    np.testing.assert_array_equal(a, e)
    assert not np.array_equal(e, D.random_split(range(20), [10, 10], generator=holder)[0].indices)
    if hasattr(pg, "Generator"):
        loader = D.DataLoader(range(20), batch_size=20, shuffle=True,
                              generator=pg.Generator().manual_seed(5))
        assert next(iter(loader)).numpy().tolist() == np.random.default_rng(5).permutation(
            20).tolist()
    pg.manual_seed(3)
    d = D.random_split(range(20), [10, 10])[0].indices
    pg.manual_seed(3)
    np.testing.assert_array_equal(d, D.random_split(range(20), [10, 10])[0].indices)
    with pytest.raises(TypeError, match="generator: expected a numpy Generator"):
        D.random_split(range(20), [10, 10], generator="seed")


# ----------------------------------------------------------------------------- samplers

def test_sequential_and_batch_samplers_as_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)]:
        ours = D.BatchSampler(D.SequentialSampler(range(n)), bs, drop)
        theirs = TD.BatchSampler(TD.SequentialSampler(range(n)), bs, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    # any iterable of indices works as the inner sampler
    assert list(D.BatchSampler([5, 1, 4, 2], 3, False)) == [[5, 1, 4], [2]]


@pytest.mark.parametrize("replacement,num_samples", [(False, None), (False, 25), (False, 7),
                                                     (True, None), (True, 40)])
def test_random_sampler_structure_as_torch(replacement, num_samples):
    ours = D.RandomSampler(range(10), replacement, num_samples, generator=0)
    theirs = TD.RandomSampler(range(10), replacement, num_samples,
                              generator=torch.Generator().manual_seed(0))
    o, t = list(ours), list(theirs)
    assert len(o) == len(t) == len(ours) == len(theirs)
    assert all(0 <= i < 10 for i in o)
    if not replacement:
        # whole permutations, then a part of one: each index k or k+1 times, like torch
        assert sorted(collections.Counter(o).values()) == sorted(collections.Counter(t).values())
        assert sorted(o[:10]) == list(range(10)) or len(o) < 10
    assert list(ours) != o          # a new draw each epoch


def test_random_samplers_follow_seeds():
    def draw(seed):
        s = D.RandomSampler(range(30), generator=seed)
        return list(s), list(s)

    assert draw(4) == draw(4) and draw(4) != draw(5)
    pg.manual_seed(1)
    a = list(D.RandomSampler(range(30)))
    pg.manual_seed(1)
    assert list(D.RandomSampler(range(30))) == a

    idx = [3, 9, 27, 81]
    o = list(D.SubsetRandomSampler(idx, generator=0))
    assert sorted(o) == sorted(list(TD.SubsetRandomSampler(idx))) and len(o) == 4


def test_weighted_random_sampler_frequencies():
    w = [0.1, 0.0, 2.0, 0.9, 1.0]
    s = D.WeightedRandomSampler(w, 40000, generator=0)
    t = TD.WeightedRandomSampler(w, 40000, generator=torch.Generator().manual_seed(0))
    assert len(s) == len(t) == 40000
    ours = np.bincount(list(s), minlength=5) / 40000
    theirs = np.bincount(list(t), minlength=5) / 40000
    p = np.array(w) / sum(w)
    # 5 standard errors of a binomial proportion
    tol = 5 * np.sqrt(p * (1 - p) / 40000) + 1e-12
    assert np.all(np.abs(ours - p) <= tol) and np.all(np.abs(theirs - p) <= tol)
    assert ours[1] == 0
    no = list(D.WeightedRandomSampler(w, 4, replacement=False, generator=1))
    assert len(set(no)) == 4 and 1 not in no


def test_weighted_random_sampler_takes_weights_of_any_kind():
    """Weights as a Tensor needing grad, on a GPU (a CuPy-backed one), or a torch tensor
    needing grad: the same draws as from the list."""
    w = [0.1, 0.0, 2.0, 0.9, 1.0]
    expected = list(D.WeightedRandomSampler(w, 50, generator=3))
    kinds = [pg.tensor(w, requires_grad=True), pg.tensor(w, dtype=pg.float32),
             torch.tensor(w, requires_grad=True), np.array(w)]
    for weights in kinds:
        assert list(D.WeightedRandomSampler(weights, 50, generator=3)) == expected
    list(TD.WeightedRandomSampler(torch.tensor(w, requires_grad=True), 5))   # torch takes it
    from _fake_cupy import cuda_tensor, cupy_array
    for weights in (cuda_tensor(np.array(w), requires_grad=True), cupy_array(np.array(w))):
        assert list(D.WeightedRandomSampler(weights, 50, generator=3)) == expected


@pytest.mark.parametrize("make,cls", [
    (lambda L: L.RandomSampler(range(3), replacement=1), TypeError),
    (lambda L: L.RandomSampler(range(3), num_samples=0), ValueError),
    (lambda L: L.RandomSampler(range(0)), ValueError),
    (lambda L: L.WeightedRandomSampler([1.0, 2.0], 0), ValueError),
    (lambda L: L.WeightedRandomSampler([1.0, 2.0], 2, replacement="yes"), ValueError),
    (lambda L: L.WeightedRandomSampler([[1.0, 2.0]], 2), ValueError),
    (lambda L: L.BatchSampler(range(3), 0, False), ValueError),
    (lambda L: L.BatchSampler(range(3), True, False), ValueError),
    (lambda L: L.BatchSampler(range(3), 2, 1), ValueError),
])
def test_sampler_argument_errors_as_torch(make, cls):
    with pytest.raises(cls):
        make(TD)
    with pytest.raises(cls, match="should be a|positive integer|boolean|1d"):
        make(D)


def test_weighted_sampler_rejects_bad_weights():
    with pytest.raises(ValueError, match="finite and non-negative"):
        D.WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="sum to 0"):
        D.WeightedRandomSampler([0.0, 0.0], 2)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement"):
        D.WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)


# ----------------------------------------------------------------------------- DataLoader

LOADER_CASES = [
    dict(batch_size=4),
    dict(batch_size=4, drop_last=True),
    dict(batch_size=1),
    dict(batch_size=20),
    dict(batch_size=None),
    dict(batch_size=3, collate_fn=lambda b: [s[1] for s in b]),
    dict(batch_size=None, collate_fn=lambda s: s[1] * 10),
    dict(batch_size=2, sampler=[10, 0, 5, 5]),
    dict(batch_sampler=[[3, 1], [0], [2, 4, 6]]),
]


@pytest.mark.parametrize("kw", LOADER_CASES, ids=range(len(LOADER_CASES)))
def test_loader_map_style_as_torch(kw):
    ours = D.DataLoader(squares(D), **kw)
    theirs = TD.DataLoader(squares(TD), **kw)
    assert len(ours) == len(theirs)
    o, t = list(ours), list(theirs)
    assert len(o) == len(t)
    for a, b in zip(o, t):
        same(a, b)


@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=None), dict(batch_size=20)])
@pytest.mark.parametrize("workers", [0, 2])
def test_loader_iterable_as_torch(kw, workers):
    ours = D.DataLoader(stream(D), num_workers=workers, **kw)
    assert len(ours) == len(TD.DataLoader(stream(TD), **kw))
    if workers:
        # torch's workers are processes; its order (round robin over workers) is the target
        theirs = TD.DataLoader(stream(TD), num_workers=workers, **kw)
    else:
        theirs = TD.DataLoader(stream(TD), **kw)
    for a, b in zip(list(ours), list(theirs), strict=True):
        same(a, b)


def test_loader_tensor_dataset_fast_path_as_torch(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((13, 3)).astype(np.float32), rng.integers(0, 5, 13)
    ds = D.TensorDataset(pg.tensor(x), pg.tensor(y))
    tds = TD.TensorDataset(torch.tensor(x), torch.tensor(y))
    # batches are gathered whole, never stacked from samples
    monkeypatch.setattr(pg, "stack", lambda *a, **k: pytest.fail("stacked single rows"))
    for kw in (dict(batch_size=5), dict(batch_size=5, drop_last=True),
               dict(batch_size=4, sampler=[12, 0, 3, 3, 7]),
               dict(batch_sampler=[[1, 2], [12, 0, 6]])):
        for a, b in zip(D.DataLoader(ds, **kw), TD.DataLoader(tds, **kw), strict=True):
            same(a, b)
    sub = D.Subset(D.Subset(ds, [12, 11, 10, 9, 8, 0]), [5, 0, 1])
    tsub = TD.Subset(TD.Subset(tds, [12, 11, 10, 9, 8, 0]), [5, 0, 1])
    same(next(iter(D.DataLoader(sub, batch_size=3))), next(iter(TD.DataLoader(tsub, batch_size=3))))
    monkeypatch.undo()
    # batches are new tensors, as torch's: writing into one leaves the dataset as it was
    for shuffle in (False, True):
        for lib, data_set in ((pg, ds), (torch, tds)):
            for xb, _ in (D if lib is pg else TD).DataLoader(data_set, batch_size=4,
                                                              shuffle=shuffle):
                with lib.no_grad():
                    xb.fill_(-7.0)
        np.testing.assert_array_equal(ds.tensors[0].numpy(), x)
        np.testing.assert_array_equal(tds.tensors[0].numpy(), x)
    # a collate_fn of one's own receives the samples
    got = next(iter(D.DataLoader(ds, batch_size=2, collate_fn=lambda b: b)))
    assert isinstance(got, list) and len(got) == 2 and isinstance(got[0], tuple)


@pytest.mark.parametrize("generator", [7, np.random.default_rng(7)])
def test_loader_shuffle_is_a_seeded_permutation(generator):
    ds = D.TensorDataset(pg.arange(50))
    loader = D.DataLoader(ds, batch_size=8, shuffle=True, generator=generator)
    e1 = np.concatenate([b[0].numpy() for b in loader])
    e2 = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(e1.tolist()) == list(range(50)) and e1.tolist() != e2.tolist()
    again = D.DataLoader(ds, batch_size=8, shuffle=True, generator=7)
    assert np.concatenate([b[0].numpy() for b in again]).tolist() == e1.tolist()
    # a generic dataset draws the same order as a TensorDataset under the same seed
    generic = D.DataLoader(list(range(50)), batch_size=8, shuffle=True, generator=7)
    assert np.concatenate([b.numpy() for b in generic]).tolist() == e1.tolist()
    assert len(loader) == len(TD.DataLoader(range(50), batch_size=8, shuffle=True)) == 7


@pytest.mark.parametrize("kw", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], drop_last=True), dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_size=None, drop_last=True), dict(batch_size=0), dict(batch_size=-2),
])
def test_loader_argument_errors_as_torch(kw):
    with pytest.raises(ValueError):
        TD.DataLoader(list(range(4)), **kw)
    with pytest.raises(ValueError, match="DataLoader: .*(option|should be)"):
        D.DataLoader(list(range(4)), **kw)


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_loader_iterable_rejects_orders_as_torch(kw):
    with pytest.raises(ValueError):
        TD.DataLoader(stream(TD), **kw)
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified"):
        D.DataLoader(stream(D), **kw)


def test_loader_attributes_fixed_after_init_as_torch():
    for lib in (D, TD):
        loader = lib.DataLoader(list(range(4)), batch_size=2)
        with pytest.raises(ValueError, match="should not be set after"):
            loader.batch_size = 3
        loader.num_workers = 0          # others may change


# ----------------------------------------------------------------------------- workers

def _threads():
    return {t for t in threading.enumerate() if t.name.startswith("pygrad-DataLoader-worker")}


def _wait_no_workers(timeout=5.0):
    end = time.time() + timeout
    while _threads() and time.time() < end:
        time.sleep(0.01)
    return not _threads()


@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, shuffle=True),
                                dict(batch_size=None), dict(batch_size=4, drop_last=True)])
@pytest.mark.parametrize("workers", [1, 3])
def test_workers_give_the_main_thread_batches(kw, workers):
    for ds in (squares(D, 17), D.TensorDataset(pg.arange(17), pg.arange(17) * 2)):
        single = D.DataLoader(ds, generator=11, **kw)
        multi = D.DataLoader(ds, generator=11, num_workers=workers, prefetch_factor=1, **kw)
        for a, b in zip(single, multi, strict=True):
            same(b, to_torch(a))
    assert _wait_no_workers()


def test_worker_init_fn_and_worker_info():
    seen = []

    def init(worker_id):
        info = D.get_worker_info()
        seen.append((worker_id, info.id, info.num_workers, info.seed - worker_id,
                     threading.current_thread().name))

    class Who(D.Dataset):
        def __len__(self):
            return 12

        def __getitem__(self, i):
            info = D.get_worker_info()
            return i, info.id, info.dataset is self

    ds = Who()
    batches = list(D.DataLoader(ds, batch_size=2, num_workers=3, worker_init_fn=init))
    assert sorted(s[:3] for s in seen) == [(0, 0, 3), (1, 1, 3), (2, 2, 3)]
    assert len({s[3] for s in seen}) == 1       # one base seed per epoch
    assert len({s[4] for s in seen}) == 3 and threading.current_thread().name not in {
        s[4] for s in seen}
    # batch k is read by worker k % 3, as torch hands batches round robin
    assert [b[1].numpy().tolist() for b in batches] == [[k % 3] * 2 for k in range(6)]
    assert all(b[2].numpy().all() for b in batches)
    assert np.concatenate([b[0].numpy() for b in batches]).tolist() == list(range(12))
    assert D.get_worker_info() is None
    assert _wait_no_workers()


class Faulty(D.Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 7:
            raise KeyError(f"no item {i}")
        if i == 13:
            raise ZeroDivisionError("item 13")
        return i


def test_worker_exception_names_the_worker_and_stops_the_workers():
    # index 7 is in batch 3, which worker 3 % 2 = 1 reads
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker 1") as err:
        list(D.DataLoader(Faulty(), batch_size=2, num_workers=2))
    assert "no item 7" in str(err.value) and isinstance(err.value.__cause__, KeyError)
    assert "\nOriginal Traceback" in str(err.value)     # line breaks kept, as torch
    assert _wait_no_workers()
    # torch raises the same class (in its main process: tearing down torch's worker
    # processes after an error takes it 5 s per worker)
    with pytest.raises(KeyError):
        list(TD.DataLoader(type("F", (Faulty, TD.Dataset), {})(), batch_size=2))
    loader = D.DataLoader(Faulty(), batch_size=None, num_workers=3, sampler=[13])
    with pytest.raises(ZeroDivisionError, match="worker 0.*\n.*Traceback"):
        next(iter(loader))

    def bad_init(worker_id):
        if worker_id == 1:
            raise RuntimeError("init failed")

    with pytest.raises(RuntimeError, match="worker 1 while running worker_init_fn"):
        list(D.DataLoader(list(range(8)), batch_size=2, num_workers=2, worker_init_fn=bad_init))
    assert _wait_no_workers()


def test_workers_shut_down_when_an_epoch_is_left():
    loader = D.DataLoader(list(range(100)), batch_size=2, num_workers=2)
    it = iter(loader)
    assert not _threads()               # started with the first batch
    next(it)
    assert len(_threads()) == 2
    del it
    assert _wait_no_workers()
    for _ in loader:
        break
    assert _wait_no_workers()

    class Slow(D.Dataset):
        def __len__(self):
            return 40

        def __getitem__(self, i):
            time.sleep(0.3)
            return i

    # leaving an epoch drops the batches still queued (15 here, 0.3 s each: 2.2 s of work
    # for two workers), so the workers end within one item's time
    start = time.time()
    for _ in D.DataLoader(Slow(), batch_size=1, num_workers=2, prefetch_factor=8):
        break
    assert _wait_no_workers() and time.time() - start < 1.5


def test_persistent_workers_live_across_epochs():
    loader = D.DataLoader(squares(D, 9), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b[1].numpy().tolist() for b in loader]
    threads = _threads()
    assert len(threads) == 2
    half = iter(loader)
    next(half)                          # an abandoned epoch: its batches are not reused
    second = [b[1].numpy().tolist() for b in loader]
    with pytest.raises(RuntimeError, match="epoch was replaced by a newer iter"):
        next(half)
    assert _threads() == threads and first == second == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]
    stream_loader = D.DataLoader(stream(D, 7), batch_size=2, num_workers=2,
                                 persistent_workers=True)
    for _ in range(2):
        got = sorted(np.concatenate([b.numpy() for b in stream_loader]).tolist())
        assert got == list(range(7))    # each epoch restarts every worker's stream
    del loader, half, stream_loader
    gc.collect()
    assert _wait_no_workers()


def test_worker_timeout_and_out_of_order_batches():
    class Slow(D.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            time.sleep(0.3 if i == 0 else 0.0)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.1 seconds"):
        list(D.DataLoader(Slow(), batch_size=2, num_workers=2, timeout=0.1))
    got = [b.numpy().tolist() for b in D.DataLoader(Slow(), batch_size=2, num_workers=2,
                                                    in_order=False)]
    # worker 0 is still on the slow batch 0 when worker 1 hands in batch 1
    assert sorted(got) == [[0, 1], [2, 3], [4, 5]] and got[0] == [2, 3]
    # pin_memory and a multiprocessing context are accepted (no effect on threads)
    loader = D.DataLoader(Slow(), batch_size=3, num_workers=1, pin_memory=True,
                          multiprocessing_context="spawn", timeout=5)
    assert [b.numpy().tolist() for b in loader] == [[0, 1, 2], [3, 4, 5]]
    assert _wait_no_workers()
