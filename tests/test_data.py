"""pygrad.data: bundled datasets, CSV loading, splits, scaling and the DataLoader."""
import numpy as np
import pytest

from pygrad import data


def test_digits_and_cancer_shapes():
    d = data.load_digits()
    assert d.data.shape == (1797, 64) and d.target.shape == (1797,)
    assert set(np.unique(d.target)) == set(range(10)) and d.data.max() == 16
    b = data.load_breast_cancer()
    assert b.data.shape == (569, 30) and set(np.unique(b.target)) == {0, 1}
    assert b.target_names == ["malignant", "benign"] and len(b.feature_names) == 30
    x, y = data.load_digits(return_X_y=True)
    assert x.shape == (1797, 64)


def test_bundled_copies_equal_sklearn():
    ds = pytest.importorskip("sklearn.datasets")
    for ours, theirs in ((data.load_digits(), ds.load_digits()),
                         (data.load_breast_cancer(), ds.load_breast_cancer())):
        np.testing.assert_array_equal(ours.data, theirs.data)
        np.testing.assert_array_equal(ours.target, theirs.target)
        assert ours.feature_names == list(theirs.feature_names)


def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_loads_numeric_and_string_targets(tmp_path):
    t = data.load_csv(_write(tmp_path, "a,b,label\n1,2,0\n3,4.5,1\n5,6,1\n"), "label")
    np.testing.assert_array_equal(t.data, [[1, 2], [3, 4.5], [5, 6]])
    np.testing.assert_array_equal(t.target, [0, 1, 1])
    assert t.feature_names == ["a", "b"]
    t = data.load_csv(_write(tmp_path, "x,kind\n1,cat\n2,dog\n3,cat\n"), "kind")
    np.testing.assert_array_equal(t.target, [0, 1, 0])
    assert t.target_names == ["cat", "dog"]
    t = data.load_csv(_write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n"), "y", features=["b"])
    np.testing.assert_array_equal(t.data, [[2], [4]])


@pytest.mark.parametrize("text,target,match", [
    ("a,b\n1,2\n", "y", "target column 'y' not found"),
    ("a,b,y\n1,x,0\n", "y", r"t.csv:2: column 'b' has non-numeric value 'x'"),
    ("a,b,y\n1,nan,0\n", "y", r"column 'b' is NaN"),
    ("a,b,y\n1,,0\n", "y", r"column 'b' is empty"),
    ("a,b,y\n1,2\n", "y", "expected 3 fields"),
    ("a,y\n1,0.5\n", "y", "class labels"),
])
def test_csv_errors(tmp_path, text, target, match):
    with pytest.raises(ValueError, match=match):
        data.load_csv(_write(tmp_path, text), target)


def test_csv_missing_file_and_unknown_feature(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        data.load_csv(tmp_path / "nope.csv", "y")
    with pytest.raises(ValueError, match=r"feature column\(s\) \['z'\] not found"):
        data.load_csv(_write(tmp_path, "a,y\n1,0\n"), "y", features=["z"])


def test_random_split_is_a_seeded_partition():
    ds = list(range(10))
    a, b = data.random_split(ds, [7, 3], generator=0)
    assert len(a) == 7 and len(b) == 3
    assert sorted(list(a.indices) + list(b.indices)) == list(range(10))
    a2, _ = data.random_split(ds, [7, 3], generator=0)
    np.testing.assert_array_equal(a.indices, a2.indices)
    parts = data.random_split(ds, [0.5, 0.3, 0.2], generator=1)
    assert [len(p) for p in parts] == [5, 3, 2]
    with pytest.raises(ValueError, match="sum to 9"):
        data.random_split(ds, [6, 3])


def test_train_test_split_and_scaler():
    x = np.arange(40, dtype=float).reshape(20, 2)
    y = np.array([0] * 10 + [1] * 10)
    xtr, xte, ytr, yte = data.train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    assert len(xte) == 5 and len(xtr) == 15
    assert sorted(((yte == 0).sum(), (yte == 1).sum())) == [2, 3]
    assert sorted(np.r_[xtr[:, 0], xte[:, 0]].tolist()) == x[:, 0].tolist()
    s = data.StandardScaler().fit(xtr)
    z = s.transform(xtr)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(0), 1)
    assert data.StandardScaler().fit_transform(np.ones((3, 1))).tolist() == [[0], [0], [0]]


# ----------------------------------------------------------------------------- with tensors

pg = pytest.importorskip("pygrad")
needs_tensor = pytest.mark.skipif(not hasattr(pg, "tensor"), reason="pygrad core not present")


@needs_tensor
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_loader_covers_each_row_once(shuffle, drop_last):
    x = pg.tensor(np.arange(23, dtype=np.float32).reshape(23, 1))
    y = pg.tensor(np.arange(23), dtype=pg.int64)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=5, shuffle=shuffle,
                             drop_last=drop_last, generator=3)
    batches = list(loader)
    assert len(batches) == len(loader) == (4 if drop_last else 5)
    seen = np.concatenate([b[1].numpy() for b in batches])
    assert len(seen) == (20 if drop_last else 23) and len(set(seen.tolist())) == len(seen)
    for bx, by in batches:
        np.testing.assert_array_equal(bx.numpy()[:, 0], by.numpy())
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))


@needs_tensor
def test_loader_shuffle_is_seeded_and_differs_per_epoch():
    ds = data.TensorDataset(pg.tensor(np.arange(50), dtype=pg.int64))

    def epochs(seed):
        loader = data.DataLoader(ds, batch_size=50, shuffle=True, generator=seed)
        return [next(iter(loader))[0].numpy().tolist() for _ in range(2)]

    e1, e2 = epochs(7), epochs(7)
    assert e1 == e2 and e1[0] != e1[1]


@needs_tensor
def test_loader_on_subset_and_generic_dataset():
    x = pg.tensor(np.arange(10, dtype=np.float32))
    train, _ = data.random_split(data.TensorDataset(x), [6, 4], generator=0)
    got = np.concatenate([b[0].numpy() for b in data.DataLoader(train, batch_size=4)])
    np.testing.assert_array_equal(got, train.indices)

    class Squares(data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i

    bx, by = next(iter(data.DataLoader(Squares(), batch_size=3)))
    assert bx.shape == (3, 2) and by.dtype == pg.int64
    np.testing.assert_array_equal(by.numpy(), [0, 1, 2])


@needs_tensor
def test_loader_without_generator_follows_manual_seed():
    ds = data.TensorDataset(pg.tensor(np.arange(30), dtype=pg.int64))

    def first_batch():
        pg.manual_seed(5)
        return next(iter(data.DataLoader(ds, batch_size=30, shuffle=True)))[0].numpy().tolist()

    assert first_batch() == first_batch()
