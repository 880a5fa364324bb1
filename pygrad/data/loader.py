"""DataLoader (torch.utils.data's): batches of a map-style or iterable dataset, collated as
torch collates them, read in the main thread or by worker threads.

Workers are threads, not processes. A thread shares the dataset, the collate function and
the resulting tensors with the main thread: nothing is pickled (lambdas and local classes
work), nothing is copied through pipes or shared memory, GPU tensors in a dataset stay
usable (a forked process cannot use the parent's CUDA context), and no child process can be
left behind to hang a test run. NumPy and pygrad's kernels release the GIL, so
array-heavy loading overlaps with training; pure-Python ``__getitem__`` code runs one
thread at a time. Every worker runs ``worker_init_fn(worker_id)`` first and sees its
``get_worker_info()``; a worker's exception is raised again in the main thread, naming the
worker; workers stop when an epoch ends (or, with ``persistent_workers``, when the loader
is deleted), on an error, and when the iterator is closed or dropped.
"""
from __future__ import annotations

import collections.abc
import copy
import functools
import itertools
import math
import queue
import re
import threading
import traceback
from dataclasses import dataclass

import numpy as np

from ..tensor import Tensor
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["DataLoader", "default_collate", "default_convert", "collate",
           "default_collate_fn_map", "get_worker_info", "WorkerInfo"]


# ----------------------------------------------------------------------------- collation

_STRING_OR_OBJECT = re.compile(r"[SaUO]")
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def _is_numpy_value(x) -> bool:
    t = type(x)
    return t.__module__ == "numpy" and t.__name__ not in ("str_", "string_", "bytes_")


def default_convert(data):
    """Turn each NumPy array or scalar inside ``data`` into a tensor; keep the structure
    (mappings, namedtuples, sequences; tuples become lists, as torch does). Used in place of
    collation when ``batch_size=None``."""
    import pygrad as pg
    if isinstance(data, Tensor):
        return data
    if _is_numpy_value(data):
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT.search(data.dtype.str):
            return data
        return pg.as_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(like, values: dict):
    # the mapping's own type where it can be copied or built from a dict, else a dict
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(values)
            return clone
        return type(like)(values)
    except TypeError:
        return values


def _rebuild_sequence(like, values: list):
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(like)(values)
    except TypeError:
        return values


def collate(batch, *, collate_fn_map: dict | None = None):
    """Collate a list of samples, dispatching on the type of the first: an exact type in
    ``collate_fn_map`` first, then the first key it is an instance of; otherwise mappings,
    namedtuples and sequences are collated field by field (tuples become lists)."""
    elem = batch[0]
    if collate_fn_map is not None:
        fn = collate_fn_map.get(type(elem))
        if fn is None:
            fn = next((f for t, f in collate_fn_map.items() if isinstance(elem, t)), None)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: collate([d[k] for d in batch],
                                                  collate_fn_map=collate_fn_map) for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError(f"default_collate: each element in list of batch should be of "
                               f"equal size, got sizes {[len(e) for e in batch]}")
        # each field's samples stay the tuple zip makes (a str field comes back as that tuple)
        fields = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _collate_tensor(batch, *, collate_fn_map=None):
    import pygrad as pg
    return pg.stack(list(batch), 0)


def _collate_numpy_array(batch, *, collate_fn_map=None):
    if _STRING_OR_OBJECT.search(batch[0].dtype.str):
        raise TypeError(_COLLATE_ERROR.format(batch[0].dtype))
    import pygrad as pg
    return pg.as_tensor(np.ascontiguousarray(np.stack(batch)))


def _collate_numpy_scalar(batch, *, collate_fn_map=None):
    import pygrad as pg
    return pg.as_tensor(np.asarray(batch))


def _collate_float(batch, *, collate_fn_map=None):
    import pygrad as pg
    return pg.tensor(np.asarray(batch, dtype=np.float64), dtype=pg.float64)


def _collate_int(batch, *, collate_fn_map=None):
    import pygrad as pg
    arr = np.asarray(batch)
    return pg.tensor(arr if arr.dtype == np.bool_ else arr.astype(np.int64))


def _collate_str(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: dict = {
    Tensor: _collate_tensor,
    np.ndarray: _collate_numpy_array,
    (np.bool_, np.number, np.object_): _collate_numpy_scalar,
    float: _collate_float,
    int: _collate_int,
    str: _collate_str,
    bytes: _collate_str,
}


def default_collate(batch):
    """Stack a list of samples into a batch, as torch's default_collate:

    tensors → ``pg.stack`` along a new dim 0; NumPy arrays → a stacked tensor (string or
    object arrays raise TypeError); NumPy scalars → a tensor of their dtype; Python floats
    → float64, ints → int64, bools → bool; str/bytes → the list unchanged; mappings →
    the same mapping of collated values; namedtuples → the namedtuple of collated fields;
    tuples and lists → a list (a list subclass keeps its type) of collated fields, which
    must all have the same length (RuntimeError otherwise). Anything else: TypeError.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


# ----------------------------------------------------------------------------- workers

@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its id (0 … num_workers − 1),
    the number of workers, its seed (the epoch's base seed + id) and the dataset."""
    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_local = threading.local()


def get_worker_info() -> WorkerInfo | None:
    """The calling worker's WorkerInfo; None in the main thread (no worker)."""
    return getattr(_worker_local, "info", None)


class _WorkerError:
    """An exception caught in a worker, carried to the main thread and raised there."""

    def __init__(self, worker_id: int, exc: BaseException, where: str = ""):
        self.exc = exc
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker {worker_id}{where}."
                        f"\nOriginal {traceback.format_exc()}")

    def reraise(self):
        try:
            # KeyError's str() is the repr of its argument: keep the traceback's line breaks
            err = KeyError(_KeyErrorMessage(self.message)) if type(self.exc) is KeyError \
                else type(self.exc)(self.message)
        except Exception:       # an exception class whose constructor wants other arguments
            err = RuntimeError(self.message)
        raise err from self.exc


class _KeyErrorMessage(str):
    def __repr__(self):
        return str(self)


class _Exhausted:
    """A worker's reply when its share of an IterableDataset has run out."""


def _worker_loop(worker_id, pool, make_fetcher):
    _worker_local.info = WorkerInfo(worker_id, pool.num_workers, pool.base_seed + worker_id,
                                    pool.dataset)
    init_error = None
    if pool.worker_init_fn is not None:
        try:
            pool.worker_init_fn(worker_id)
        except Exception as e:
            init_error = _WorkerError(worker_id, e, " while running worker_init_fn")
    fetcher, epoch = None, None
    tasks = pool.index_queues[worker_id]
    while True:
        task = tasks.get()
        if task is None or pool.closed:     # closed: tasks still queued are dropped
            return
        task_epoch, idx, index = task
        if init_error is not None:
            pool.results.put((task_epoch, idx, worker_id, init_error))
            continue
        try:
            if task_epoch != epoch:     # a new epoch: a fresh iterator of an IterableDataset
                fetcher, epoch = make_fetcher(), task_epoch
            data = fetcher.fetch(index)
        except StopIteration:
            data = _Exhausted
        except Exception as e:
            data = _WorkerError(worker_id, e)
        pool.results.put((task_epoch, idx, worker_id, data))


class _WorkerPool:
    """num_workers threads, each reading tasks (epoch, idx, index batch) from its own queue and
    putting (epoch, idx, worker_id, batch) on one result queue."""

    def __init__(self, num_workers, dataset, worker_init_fn, make_fetcher):
        # no reference to the DataLoader: a persistent pool ends when its loader is collected
        self.num_workers = num_workers
        self.dataset = dataset
        self.worker_init_fn = worker_init_fn
        from ..random import generator as pygrad_generator
        self.base_seed = int(pygrad_generator().integers(0, 2**62))
        self.index_queues = [queue.SimpleQueue() for _ in range(self.num_workers)]
        self.results = queue.SimpleQueue()
        self.epoch = 0
        self.closed = False
        self.threads = [threading.Thread(target=_worker_loop, args=(i, self, make_fetcher),
                                         name=f"pygrad-DataLoader-worker-{i}", daemon=True)
                        for i in range(self.num_workers)]
        for t in self.threads:
            t.start()

    def get(self, timeout: float):
        if timeout > 0:
            try:
                return self.results.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
        while True:
            try:
                return self.results.get(timeout=5.0)
            except queue.Empty:
                dead = [i for i, t in enumerate(self.threads) if not t.is_alive()]
                if dead:
                    raise RuntimeError(f"DataLoader worker(s) {dead} exited unexpectedly") \
                        from None

    def shutdown(self):
        if self.closed:
            return
        self.closed = True
        for q in self.index_queues:
            q.put(None)
        for t in self.threads:
            if t is not threading.current_thread():
                # a worker inside a slow __getitem__ finishes it on its own (daemon thread)
                t.join(timeout=1.0)


# ----------------------------------------------------------------------------- fetching

class _Fetcher:
    """Turns one index batch (or one index, without auto-batching) into data."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.tensors, self.base = (_tensor_source(dataset)
                                   if auto_collation and collate_fn is default_collate
                                   else (None, None))
        self.iterator = iter(self.dataset) if isinstance(self.dataset, IterableDataset) else None

    def fetch(self, index):
        if self.iterator is not None:
            return self._fetch_iterable(index)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.tensors is not None:
            return _gather(self.tensors, self.base, np.asarray(index, dtype=np.int64))
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return self.collate_fn(getitems(list(index)))
        return self.collate_fn([self.dataset[i] for i in index])

    def _fetch_iterable(self, index):
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = list(itertools.islice(self.iterator, len(index)))
        if not data or (self.drop_last and len(data) < len(index)):
            self.iterator = iter(())
            raise StopIteration
        return self.collate_fn(data)


def _tensor_source(dataset):
    """(tensors, row indices or None) when ``dataset`` is a TensorDataset or Subsets of one."""
    base = None
    while isinstance(dataset, Subset):
        idx = dataset.indices
        base = idx if base is None else idx[base]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and all(hasattr(t, "device") for t in dataset.tensors):
        return dataset.tensors, base
    return None, None


def _wrap(t, array):
    return Tensor._make(array, t.device)


def _gather(tensors, base, idx):
    if base is not None:
        idx = base[idx]
    out = []
    for t in tensors:
        xp = t.device.backend.xp
        out.append(_wrap(t, t._data[idx if xp is np else xp.asarray(idx)]))
    return out


class _InfiniteConstantSampler(Sampler):
    """None forever: the 'indices' of an IterableDataset."""

    def __iter__(self):
        while True:
            yield None


# ----------------------------------------------------------------------------- DataLoader

class DataLoader:
    """Iterate over ``dataset`` in batches (torch.utils.data.DataLoader's signature).

    dataset: map-style (``__getitem__``/``__len__``) or an IterableDataset.
    batch_size: samples per batch; None turns batching off (each sample goes through
    ``default_convert``). shuffle: a fresh permutation every epoch, drawn from ``generator``
    (a NumPy Generator, an int seed, a pygrad/torch Generator; without one each epoch draws
    from pygrad's generator, so ``pg.manual_seed`` repeats it). sampler / batch_sampler:
    the order of indices / of index batches (mutually exclusive with shuffle, and with
    batch_size/shuffle/sampler/drop_last respectively). drop_last: skip a short last batch.
    collate_fn: list of samples → batch (default ``default_collate``).
    num_workers: worker threads reading batches ahead (0: the main thread); they start per
    epoch unless ``persistent_workers``, each runs ``worker_init_fn(id)`` first, and keep
    ``prefetch_factor`` (default 2) batches each in flight. timeout: seconds to wait for a
    worker's batch before RuntimeError (0: no limit). pin_memory, pin_memory_device,
    multiprocessing_context: accepted, no effect (no page-locked host memory on pygrad's CPU
    path; workers are threads). in_order=False yields batches as workers finish them.

    A TensorDataset (or a Subset of one) with the default collate_fn is batched by indexing
    each tensor once per batch on its own device, not by stacking single samples; batches
    are lists ``[x_batch, y_batch, …]``, as torch's collation of tuple samples gives, and
    are new tensors (writing into one leaves the dataset unchanged).
    """

    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
               "persistent_workers")

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):
        if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, "
                             f"got {num_workers!r}; use num_workers=0 to load in the main thread")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified with "
                             "num_workers > 0 (worker loading); otherwise leave it None")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, (int, np.integer))
                                            or prefetch_factor < 1):
            raise ValueError(f"DataLoader: prefetch_factor option should be a positive "
                             f"integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                       or isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value or "
                             f"None, but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"DataLoader: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")

        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value!r}")
        elif shuffle not in (False, None) and sampler is not None:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")

        if sampler is None:
            if isinstance(dataset, IterableDataset):
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, int(batch_size), drop_last)

        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        self._pool = None
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in self._frozen:
            raise ValueError(f"DataLoader: {name} attribute should not be set after the "
                             f"DataLoader is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    def batch_indices(self) -> list:
        """The index arrays of one epoch (drawing a permutation when shuffling)."""
        arrays = self._epoch_arrays()
        if arrays is not None:
            return arrays
        return [np.asarray(b, dtype=np.int64) for b in self._index_sampler]

    def _epoch_arrays(self):
        """One epoch's index batches as arrays, when the batch sampler can give them whole
        (this module's BatchSampler over one of its samplers, not a subclass)."""
        if type(self.batch_sampler) is BatchSampler and type(self.batch_sampler.sampler) in (
                SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler):
            return self.batch_sampler._index_arrays()
        return None

    def _fetcher_factory(self):
        return functools.partial(_Fetcher, self.dataset, self._auto_collation, self.collate_fn,
                                 self.drop_last)

    def __iter__(self):
        if self.num_workers == 0:
            return self._single_thread()
        return self._with_workers()

    def __del__(self):
        pool = self.__dict__.get("_pool")
        if pool is not None:
            pool.shutdown()

    # one epoch in the main thread
    def _single_thread(self):
        fetcher = self._fetcher_factory()()
        if fetcher.tensors is not None and fetcher.iterator is None:
            if (type(self.batch_sampler) is BatchSampler and fetcher.base is None
                    and type(self.sampler) is SequentialSampler):
                # contiguous row ranges, copied rather than viewed: as in torch, writing
                # into a batch must not change the dataset
                b = self.batch_size
                for i in range(len(self.batch_sampler)):
                    yield [_wrap(t, t._data[i * b:(i + 1) * b].copy()) for t in fetcher.tensors]
                return
            arrays = self._epoch_arrays()
            if arrays is not None:
                yield from self._tensor_epoch(fetcher, arrays)
                return
        for index in self._index_sampler:
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                return
            yield data

    def _tensor_epoch(self, fetcher, arrays):
        tensors, base = fetcher.tensors, fetcher.base
        b = self.batch_size
        order = np.concatenate(arrays) if arrays else np.empty(0, np.int64)
        if base is not None:
            order = base[order]
        # one host-to-device copy of the epoch's order per device, then slices of it
        on_device = {}
        for t in tensors:
            if t.device not in on_device:
                xp = t.device.backend.xp
                on_device[t.device] = order if xp is np else xp.asarray(order)
        for i in range(len(arrays)):
            yield [_wrap(t, t._data[on_device[t.device][i * b:(i + 1) * b]]) for t in tensors]

    # one epoch read by worker threads, batches handed out in the sampler's order
    def _with_workers(self):
        # the pool starts with the first batch asked for, so an iterator never started
        # leaves no threads behind
        if self.persistent_workers and self._pool is not None and not self._pool.closed:
            pool = self._pool
        else:
            pool = _WorkerPool(self.num_workers, self.dataset, self.worker_init_fn,
                               self._fetcher_factory())
            if self.persistent_workers:
                self._pool = pool
        pool.epoch += 1
        epoch, n = pool.epoch, pool.num_workers
        index_iter = iter(self._index_sampler)
        active = [True] * n
        cycle = itertools.cycle(range(n))
        pending = {}            # idx → worker id, or (worker id, data) once arrived early
        sent = received = 0

        def send():
            nonlocal sent
            if not any(active):
                return
            try:
                index = next(index_iter)
            except StopIteration:
                return
            worker = next(w for w in cycle if active[w])
            pool.index_queues[worker].put((epoch, sent, index))
            pending[sent] = worker
            sent += 1

        def deliver(data):
            if isinstance(data, _WorkerError):
                pool.shutdown()
                data.reraise()
            return data

        try:
            for _ in range(self.prefetch_factor * n):
                send()
            while True:
                if pool.epoch != epoch:
                    raise RuntimeError("DataLoader: this iterator's epoch was replaced by a "
                                       "newer iter() of the same persistent_workers loader")
                # skip batches assigned to workers whose stream has ended
                # (and batches already handed out of order)
                while received < sent and (received not in pending or (
                        not isinstance(pending[received], tuple)
                        and not active[pending[received]])):
                    pending.pop(received, None)
                    received += 1
                if received >= sent:
                    break
                if isinstance(pending[received], tuple):
                    data = pending.pop(received)[1]
                    received += 1
                    send()
                    yield deliver(data)
                    continue
                task_epoch, idx, worker, data = pool.get(self.timeout)
                if task_epoch != epoch or idx not in pending:
                    continue    # left over from an abandoned epoch of a persistent pool
                if data is _Exhausted:
                    active[worker] = False
                    del pending[idx]
                    if idx == received:
                        received += 1
                    send()
                    continue
                if idx == received or not self.in_order:
                    del pending[idx]
                    if idx == received:
                        received += 1
                    send()
                    yield deliver(data)
                else:
                    pending[idx] = (worker, data)
        finally:
            if not self.persistent_workers or pool is not self._pool:
                pool.shutdown()
