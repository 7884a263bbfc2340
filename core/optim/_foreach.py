"""The CPU side of the optimizers' steps: one elementwise update per parameter, run fast.

An update is a kernel, a chain of numpy ufuncs writing in place (``fn(xp, consts, t,
u, *arrays)``, t and u work arrays) over same-shaped arrays: the parameter, its
gradient, its state. ``step()`` hands them to a :class:`Batch`:

- a large parameter is cut into pieces of about ``CHUNK`` elements, each updated by the
  whole chain before the next: its work arrays stay in the core's cache instead of every
  ufunc streaming the full arrays through memory (13 ufuncs for Adam);
- a batch of at least ``PARALLEL_MIN`` elements may share its pieces with a few
  persistent worker threads (numpy releases the GIL inside ufuncs): when that has been
  the faster way lately (see :class:`_Pool`);
- the small parameters of a param group update as one flat array (:class:`Pack`), their
  state tensors being views into it: one chain of ufuncs instead of one per parameter,
  which is what the step of a small model costs (SGD's few ufuncs gain nothing: its
  small parameters update one by one, at once);
- Python float constants become 0-d arrays of the parameters' dtype (the same values,
  and ufunc calls about twice as fast), and outputs are passed positionally (faster
  than ``out=``).

Every element goes through the same operations in the same order whichever way it
runs, so the results are bit-identical to the plain per-parameter update.
"""

from __future__ import annotations

import itertools
import os
import threading
import time

import numpy as np

from core.tensor import _bump_version

__all__ = ["Batch", "Pack", "grad_in", "lerp_", "lerp_weight", "packable"]

CHUNK = 65536  # elements per piece of a large parameter (256 KiB in float32)
PACK_MAX = 4096  # parameters up to this size: in their group's Pack, or updated at once
PARALLEL_MIN = 2 * CHUNK  # a batch of this many elements may run on the worker threads too
MAX_THREADS = 4  # threads per batch at most (the calling one included)

_ndarray = np.ndarray


def packable(d, g) -> bool:
    """Whether parameter array d (gradient g) can join a Pack: a small numpy array
    whose gradient has its dtype."""
    return type(d) is _ndarray and d.size <= PACK_MAX and type(g) is _ndarray and g.dtype == d.dtype


# -- pieces of the kernels (xp: numpy, or CuPy off the CPU) ------------------------------
def grad_in(xp, d, g, weight_decay, maximize: bool, out):
    """The gradient an update uses, written to out: -g when maximizing, plus
    weight_decay * d (PyTorch's order) unless weight_decay is None."""
    if weight_decay is not None:
        xp.multiply(d, weight_decay, out)
        if maximize:  # -g + wd*p, which is exactly wd*p - g
            xp.subtract(out, g, out)
        else:
            xp.add(g, out, out)
    else:
        xp.negative(g, out)
    return out


def lerp_weight(weight: float) -> tuple[float, bool]:
    """(w, small) for lerp_: PyTorch's lerp takes a + weight * (b - a) for weights below
    0.5, else the more accurate b - (b - a) * (1 - weight)."""
    small = abs(weight) < 0.5
    return (weight if small else 1 - weight), small


def lerp_(xp, a, b, w, small: bool, tmp) -> None:
    """a = lerp(a, b, weight) in place, with (w, small) from lerp_weight(weight)."""
    xp.subtract(b, a, tmp)
    xp.multiply(tmp, w, tmp)
    if small:
        xp.add(a, tmp, a)
    else:
        xp.subtract(b, tmp, a)


# -- work arrays ------------------------------------------------------------------------
class _Scratch(threading.local):
    """Per-thread temporaries, one per shape, dtype and slot: kernels running at once
    on several threads each write their own, and a thread's stay in its cache from
    piece to piece."""

    def __init__(self) -> None:
        self.bufs: dict = {}

    def make(self, key: tuple):
        """A new work array for key (shape, dtype, slot), kept in bufs."""
        bufs = self.bufs
        if len(bufs) > 256:  # shapes come and go (packs remade, other models)
            bufs.clear()
        buf = bufs[key] = np.empty(key[0], dtype=key[1])
        return buf


_scratch = _Scratch()


def _execute(job, scratch: _Scratch) -> None:
    """Run one kernel: ``fn(numpy, consts, t, u, *arrays)`` with t (and u when ntmp is
    2) work arrays shaped like the others."""
    fn, consts, ntmp, arrays = job
    a = arrays[0]
    bufs = scratch.bufs
    key = (a.shape, a.dtype, 0)
    t = bufs.get(key)
    if t is None:
        t = scratch.make(key)
    u = None
    if ntmp > 1:
        key = (a.shape, a.dtype, 1)
        u = bufs.get(key)
        if u is None:
            u = scratch.make(key)
    fn(np, consts, t, u, *arrays)


_typed: dict = {}  # (Python float, dtype) -> 0-d array; never written to


def _constants(consts: tuple, dtype) -> tuple:
    """consts with its Python floats as 0-d arrays of the parameters' floating dtype:
    the value a Python float takes in that dtype, and numpy's fastest scalar operand
    (a ufunc call converting a Python float costs about twice as much)."""
    if dtype.kind != "f":
        return consts
    typed = []
    for c in consts:
        if type(c) is float:
            if c == 0 or c != c:  # 0.0 == -0.0 as keys, and nan != nan
                c = np.array(c, dtype)
            else:
                key = (c, dtype)
                a = _typed.get(key)
                if a is None:
                    if len(_typed) > 512:  # values that change every step (bias corrections)
                        _typed.clear()
                    a = _typed[key] = np.array(c, dtype)
                c = a
        typed.append(c)
    return tuple(typed)


# -- a step's updates -----------------------------------------------------------------
class Batch:
    """The CPU updates of one ``step()``: kernels to run, packs to write back, and the
    parameters whose version counter goes up once they are updated."""

    __slots__ = ("jobs", "size", "params", "packs", "_typed")

    def __init__(self) -> None:
        self.jobs: list = []
        self.size = 0
        self.params: list = []
        self.packs: list = []
        self._typed: tuple = (None, None, None)  # the last consts, dtype, _constants

    def _constants(self, consts: tuple, dtype) -> tuple:
        """_constants(consts, dtype), once for the parameters sharing consts."""
        last, last_dtype, typed = self._typed
        if consts is not last or dtype is not last_dtype:
            typed = _constants(consts, dtype)
            self._typed = (consts, dtype, typed)
        return typed

    def add(self, p, fn, consts: tuple, ntmp: int, arrays: tuple) -> None:
        """Update parameter p by ``fn(xp, consts, t, u, *arrays)`` (p's array first):
        a small one at once, a large one in pieces when all the arrays are row-major
        and dense."""
        a = arrays[0]
        n = a.size
        self.params.append(p)
        consts = self._constants(consts, a.dtype)
        if n <= PACK_MAX:  # not worth a job: now, on this thread
            _execute((fn, consts, ntmp, arrays), _scratch)
            return
        self.size += n
        if n > CHUNK and all(a.flags.c_contiguous for a in arrays):
            self._split(fn, consts, ntmp, [a.reshape(-1) for a in arrays])
        else:
            self.jobs.append((fn, consts, ntmp, arrays))

    def add_pack(self, pack: Pack, fn, consts: tuple, ntmp: int, reads_param: bool) -> None:
        """Update the parameters of ``pack`` as one flat array; ``reads_param``: fn uses
        the parameter's values before its last operation, ``d += t``."""
        params = pack.params
        if reads_param:
            np.concatenate([p._data.ravel() for p in params], out=pack.d)
        else:  # fn's d += t then leaves t exactly (-0.0 + x is x), to add to each p
            pack.d.fill(-0.0)
        pack.delta = not reads_param
        np.concatenate([p._grad._data.ravel() for p in params], out=pack.g)
        self.packs.append(pack)
        self.params.extend(params)
        arrays = (pack.d, pack.g, *pack.flats)
        n = pack.d.size
        self.size += n
        consts = self._constants(consts, pack.d.dtype)
        if n > CHUNK:
            self._split(fn, consts, ntmp, arrays)
        else:
            self.jobs.append((fn, consts, ntmp, arrays))

    def _split(self, fn, consts: tuple, ntmp: int, flat) -> None:
        """Jobs over equal pieces (64-byte aligned in float32) of 1-d arrays."""
        n = flat[0].size
        pieces = -(-n // CHUNK)
        width = (-(-n // pieces) + 15) & ~15
        jobs = self.jobs
        for s in range(0, n, width):
            e = s + width
            jobs.append((fn, consts, ntmp, tuple([a[s:e] for a in flat])))

    def run(self) -> None:
        """Run the kernels (on the worker threads too when the batch is large), write
        the packs back to their parameters, bump the parameters' versions."""
        jobs = self.jobs
        if jobs:
            pool = _pool() if self.size >= PARALLEL_MIN and len(jobs) > 1 else None
            if pool is not None and pool.lock.acquire(blocking=False):
                try:
                    pool.run(jobs, self.size)
                finally:
                    pool.lock.release()
            else:  # small, one thread, or the pool is busy with another step
                scratch = _scratch
                for job in jobs:
                    _execute(job, scratch)
        for pack in self.packs:
            pack.write_back()
        for p in self.params:
            _bump_version(p)


# -- packs of small parameters -----------------------------------------------------------
class Pack:
    """Small parameters of one group updated as one flat array: each state array named
    in ``keys`` is a view into one flat array (so ``state_dict()`` keeps PyTorch's
    per-parameter layout); ``g`` gathers the gradients and ``d`` the parameters (or,
    for an update that reads them only at its end, collects the changes) before the
    update, and ``write_back`` copies the new values (adds the changes) to them."""

    __slots__ = ("params", "keys", "views", "flats", "d", "g", "dviews", "delta")

    def __init__(self, params: list, states: list, keys: tuple[str, ...]) -> None:
        """Adopt the state arrays ``keys`` of params (``states``: theirs): their values
        move into the flat arrays, and the state tensors now view those."""
        dtype = params[0]._data.dtype
        offsets = list(itertools.accumulate([p._data.size for p in params], initial=0))
        total = offsets[-1]
        self.params = params
        self.keys = keys
        self.flats = [np.empty(total, dtype=dtype) for _ in keys]
        self.d = np.empty(total, dtype=dtype)
        self.g = np.empty(total, dtype=dtype)
        self.delta = False
        self.dviews = []
        self.views = []
        for p, st, a, b in zip(params, states, offsets, offsets[1:]):
            shape = p._data.shape
            self.dviews.append(self.d[a:b].reshape(shape))
            views = []
            for key, flat in zip(keys, self.flats):
                view = flat[a:b].reshape(shape)
                t = st[key]
                np.copyto(view, t._data)
                t._data = view  # the same tensor object: references to it stay live
                _bump_version(t)
                views.append(view)
            self.views.append(views)

    def matches(self, params: list, states: list, keys: tuple[str, ...]) -> bool:
        """Whether this pack is still the one for params: the same parameters, their
        state tensors (``states``) still viewing its arrays (not replaced or reloaded)."""
        if keys != self.keys or len(params) != len(self.params):
            return False
        for p, q, st, views in zip(params, self.params, states, self.views):
            if p is not q:
                return False
            for key, view in zip(keys, views):
                t = st.get(key)
                if t is None or t._data is not view:
                    return False
        return True

    def write_back(self) -> None:
        """The updated values to the parameters (or, with ``delta``, their updates)."""
        if self.delta:
            for p, dv in zip(self.params, self.dviews):
                d = p._data
                np.add(d, dv, d)
        else:
            for p, dv in zip(self.params, self.dviews):
                np.copyto(p._data, dv)


# -- worker threads ---------------------------------------------------------------------
class _Run:
    """One batch being run by several threads: each takes the next kernel until none
    is left; the last to finish wakes the caller."""

    __slots__ = ("jobs", "n", "next", "left", "lock", "done", "error")

    def __init__(self, jobs: list) -> None:
        self.jobs = jobs
        self.n = len(jobs)
        self.next = itertools.count().__next__  # atomic under the GIL
        self.left = self.n
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def drain(self, scratch: _Scratch) -> None:
        jobs, n = self.jobs, self.n
        finished = 0
        while (i := self.next()) < n:
            try:
                _execute(jobs[i], scratch)
            except BaseException as e:  # noqa: BLE001 (re-raised by the caller)
                if self.error is None:
                    self.error = e
            finished += 1
        if finished:
            with self.lock:
                self.left -= finished
                if self.left == 0:
                    self.done.set()


class _Pool:
    """Daemon threads that help run large batches; ``lock`` is held by the one step
    using them (another step meanwhile runs on its own thread).

    Whether helping pays depends on what else runs (on a busy machine, a helper that
    loses its core holds the step up; BLAS threads spinning after a matmul take the
    cores too): runs go parallel or not by which way took less time per element
    lately (for the batch's kind of update), re-checking the other way every EXPLORE
    runs."""

    EXPLORE = 16  # every this many runs, time the way that is not the faster one
    SAMPLES = 5  # recent timings kept of the way taken

    def __init__(self, workers: int) -> None:
        self.lock = threading.Lock()
        self._wake = threading.Condition(threading.Lock())
        self._run: _Run | None = None
        self._generation = 0
        self._times: dict = {}  # kernel -> (serial, parallel) recent seconds per element
        self._warm: set = set()  # (kernel, parallel) run once
        self._runs = 0
        self._exploring = False
        self._closed = False
        self.threads = [
            threading.Thread(target=self._work, name=f"core.optim-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        seen = 0
        while True:
            with self._wake:
                while self._generation == seen:
                    self._wake.wait()
                if self._closed:
                    return
                seen = self._generation
                run = self._run
            if run is not None:
                run.drain(_scratch)
                run = None  # hold no arrays between steps

    def close(self) -> None:
        """End the threads (once they finish the batch at hand)."""
        with self._wake:
            self._closed = True
            self._generation += 1
            self._wake.notify_all()
        for thread in self.threads:
            thread.join()

    def run(self, jobs: list, size: int) -> None:
        """Run jobs (``size`` elements in all), with the helpers or without."""
        fn = jobs[0][0]
        times = self._times.get(fn)
        if times is None:
            times = self._times[fn] = ([], [])
        parallel = self._parallel_next(times)
        start = time.perf_counter()
        if parallel:
            self._run_parallel(jobs)
        else:
            scratch = _scratch
            for job in jobs:
                _execute(job, scratch)
        self._note(fn, parallel, (time.perf_counter() - start) / size)

    def _note(self, fn, parallel: bool, seconds: float) -> None:
        """Keep the time per element of a run: not the first of each way (warm-up);
        alone, replacing the older ones, when it re-checks the way not taken (those
        may be from another time: a machine busier, or quieter, than now)."""
        if (fn, parallel) not in self._warm:
            self._warm.add((fn, parallel))
            return
        recent = self._times[fn][parallel]
        if self._exploring:
            recent[:] = [seconds]
        else:
            recent.append(seconds)
            if len(recent) > self.SAMPLES:
                del recent[0]

    def _parallel_next(self, times: tuple[list, list]) -> bool:
        """Whether the next run goes parallel: the faster way by the median of its
        recent timings, but the other one every EXPLORE runs."""
        self._runs += 1
        self._exploring = False
        serial, parallel = times
        if not serial or not parallel:
            return len(parallel) <= len(serial)  # time both ways first
        faster = sorted(parallel)[len(parallel) // 2] <= sorted(serial)[len(serial) // 2]
        if self._runs % self.EXPLORE:
            return faster
        self._exploring = True
        return not faster

    def _run_parallel(self, jobs: list) -> None:
        run = _Run(jobs)
        with self._wake:
            self._run = run
            self._generation += 1
            self._wake.notify_all()
        try:
            run.drain(_scratch)
            run.done.wait()
        finally:
            with self._wake:
                self._run = None
        if run.error is not None:
            raise run.error


_POOL: _Pool | None | bool = None  # None: not made yet; False: one thread only
_POOL_MADE = threading.Lock()


def _threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_THREADS))


def _pool() -> _Pool | None:
    """The worker threads, started on first use; None on a single-core machine."""
    global _POOL
    if _POOL is None:
        with _POOL_MADE:
            if _POOL is None:
                workers = _threads() - 1
                _POOL = _Pool(workers) if workers > 0 else False
    return _POOL or None


def _forget_pool() -> None:
    """In a forked child the threads are gone: start new ones when needed."""
    global _POOL, _POOL_MADE
    _POOL = None
    _POOL_MADE = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)
