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


@pytest.mark.parametrize("text,target,match", [
    # a duplicated column name would read one column twice
    ("a,a,label\n1,2,0\n", "label", r"t.csv:1: column name 'a' appears twice .*fields 1 and 2"),
    ("a, a ,label\n1,2,0\n", "label", r"t.csv:1: column name 'a' appears twice"),
    ("a,,label\n1,2,0\n", "label", r"t.csv:1: header field 2 is empty"),
    # an integer label beyond int64 once wrapped to -9223372036854775808
    ("a,label\n1,0\n2,99999999999999999999999\n", "label",
     r"t.csv:3: target column 'label' has '99999999999999999999999', beyond the largest"),
    ("a,label\n1,0\n2,1e30\n", "label", r"t.csv:3: target column 'label' has '1e30'"),
    ("a,label\n1,0\n2,1.5\n", "label", r"t.csv:3: target column 'label' has '1.5'.*class labels"),
    ("a,label\n1,0\n2,-1\n", "label", r"t.csv:3: target column 'label' has '-1'.*non-negative"),
    ("a,label\n1,0\n2,inf\n", "label", r"t.csv:3: target column 'label' has 'inf'"),
    ("a,label\n1,0\n2,NA\n", "label", r"t.csv:3: target column 'label' is 'NA'"),
    ("a,label\n1,0\n2,\n", "label", r"t.csv:3: target column 'label' is empty"),
    ("a,label\n1,0\n2,1\n3,cat\n", "label",
     r"t.csv:4: target column 'label' mixes numbers and names \('0' on line 2, 'cat' on line 4\)"),
    ("a,label\n1,cat\n2,7\n", "label", r"t.csv:3: target column 'label' mixes"),
    # feature values
    ("a,b,y\n1,inf,0\n", "y", r"t.csv:2: column 'b' is infinite"),
    ("a,b,y\n1,-Infinity,0\n", "y", r"t.csv:2: column 'b' is infinite"),
    ("a,b,y\n1,1e400,0\n", "y", r"t.csv:2: column 'b' is infinite or beyond float64"),
    ("a,b,y\n1,NaN,0\n", "y", r"t.csv:2: column 'b' is NaN"),
    # ragged rows name the line (blank lines counted) and the columns concerned
    ("a,b,y\n1,2,0\n\n1,2\n", "y", r"t.csv:4: expected 3 fields .*got 2 .*no value for column\(s\) 'y'"),
    ("a,b,y\n1,2,0,5\n", "y", r"t.csv:2: expected 3 fields .*1 extra field\(s\) after column 'y'"),
    ('a,b,y\n"1\n2",x,0\n3,4,1\n', "y", r"t.csv:2: column 'a' has non-numeric value '1\\n2'"),
    ('a,b,y\n"1\n",3,0\n3,x,1\n', "y", r"t.csv:4: column 'b' has non-numeric value 'x'"),
    # files without data
    ("", "y", r"t.csv' is empty"),
    ("\n\n  \n", "y", r"t.csv' is empty"),
    ("a,y\n", "y", "has a header but no data rows"),
])
def test_csv_bad_input_names_file_line_and_column(tmp_path, text, target, match):
    with pytest.raises(ValueError, match=match):
        data.load_csv(_write(tmp_path, text), target)


def test_csv_bad_arguments_and_encoding(tmp_path):
    p = _write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n")
    with pytest.raises(TypeError, match=r"features=\['a'\]"):
        data.load_csv(p, "y", features="a")
    with pytest.raises(ValueError, match=r"column\(s\) \['a'\] more than once"):
        data.load_csv(p, "y", features=["a", "a"])
    with pytest.raises(ValueError, match="target column 'y' is also listed in features"):
        data.load_csv(p, "y", features=["a", "y"])
    with pytest.raises(ValueError, match="delimiter must be a single character"):
        data.load_csv(p, "y", delimiter=",,")
    with pytest.raises(TypeError, match="target must be a column name"):
        data.load_csv(p, 2)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("a,y\n1,0\n2,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv:3: not valid UTF-8"):
        data.load_csv(latin, "y")


def test_csv_accepted_edge_values(tmp_path):
    # integral float labels, the largest class index, blank lines and delimiter-only lines
    t = data.load_csv(_write(tmp_path, "a,y\n1,0.0\n\n,\n2,2.0\n3,1\n"), "y")
    np.testing.assert_array_equal(t.target, [0, 2, 1])
    assert t.target.dtype == np.int64 and t.target_names == ["0", "1", "2"]
    np.testing.assert_array_equal(t.data, [[1], [2], [3]])
    from pygrad.data.csv import MAX_CLASS_INDEX
    t = data.load_csv(_write(tmp_path, f"a,y\n1,0\n2,{MAX_CLASS_INDEX}\n"), "y")
    assert t.target.tolist() == [0, MAX_CLASS_INDEX]
    with pytest.raises(ValueError, match="beyond the largest class index"):
        data.load_csv(_write(tmp_path, f"a,y\n1,0\n2,{MAX_CLASS_INDEX + 1}\n"), "y")


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
