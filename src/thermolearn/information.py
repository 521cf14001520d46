"""Bits learned: estimators of the information a learner extracts from its training data.

Every estimator here says what it measures and how it relates to the quantity behind
thermolearn's hypothesis, the mutual information I(D; θ) between the training set D and the
learned parameters θ (E_learn ≥ kT ln 2 · I(D; θ)):

* :class:`PrequentialCode` — the online (prequential) code length of the training labels;
  ``n log2 K − L_preq`` bits is the compression of the labels that the learner achieved while
  learning them (Blier & Ollivier 2018). For a Bayesian learner its expectation exceeds the
  code length under the true parameter by exactly I(D; θ)
  (see :func:`beta_bernoulli_information_bits`).
* :func:`cross_entropy_gain_bits` — n · (H(Y) − CE_test) / ln 2, the held-out saving per example
  times the training-set size, floored at 0. An estimate, not a bound.
* :func:`weight_information_bits` — Σ KL(N(g, σ²) ‖ P) between the Gaussian posterior over
  conductances implied by device noise σ and a data-independent prior P: an *upper bound* on
  I(D; θ) in expectation over datasets, since I(D; θ) = E_D KL(Q(θ|D) ‖ Q(θ)) ≤ E_D KL(Q(θ|D) ‖ P).
* :func:`weight_capacity_bits` — n_weights · log2(levels), the entropy ceiling of a finite-level
  weight memory (another upper bound).
* the information bottleneck (:func:`information_bottleneck`, :func:`ib_curve`) on discrete joint
  distributions, and :func:`binned_information_plane` for a trained hidden layer.

Closed forms used by the tests (and useful as references): :func:`gaussian_mean_information_bits`
(learning a Gaussian mean), :func:`beta_bernoulli_information_bits` (a coin's bias),
:func:`dirichlet_multinomial_code_length_bits` (the Laplace/KT sequential code).

All information is in bits unless a name ends in ``_nats``.

References
----------
.. [1] L. Blier, Y. Ollivier, "The description length of deep learning models", NeurIPS 2018.
.. [2] N. Tishby, F. C. Pereira, W. Bialek, "The information bottleneck method", Proc. 37th
   Allerton Conf. (1999), arXiv:physics/0004057.
.. [3] R. Shwartz-Ziv, N. Tishby, "Opening the black box of deep neural networks via
   information", arXiv:1703.00810 (2017); A. M. Saxe et al., ICLR 2018 (binning caveats).
.. [4] B. S. Clarke, A. R. Barron, "Information-theoretic asymptotics of Bayes methods",
   IEEE Trans. Inf. Theory 36, 453 (1990).
.. [5] T. M. Cover, J. A. Thomas, *Elements of Information Theory*, 2nd ed. (Wiley, 2006),
   §9.4 (Gaussian channel: I = ½ log2(1 + SNR)).
.. [6] S. Goldt, U. Seifert, "Stochastic thermodynamics of learning", PRL 118, 010601 (2017).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from thermolearn.errors import ParameterError
from thermolearn.validation import (
    check_greater,
    check_int,
    check_nonnegative,
    check_positive,
    finite_array,
)

LN2 = math.log(2.0)
#: Bits below which a "bits learned" figure is treated as zero when dividing energy by it.
MIN_BITS = 1e-6


# -------------------------------------------------------------------------------------------
# Discrete entropies
# -------------------------------------------------------------------------------------------
def entropy_bits(p: ArrayLike) -> float:
    """Shannon entropy H(p) in bits of a probability vector (any shape, summing to 1).

    Zero entries contribute 0 (0 log 0 = 0).
    """
    arr = _probabilities(p, "p", "entropy_bits")
    nz = arr[arr > 0]
    return float(-np.sum(nz * np.log2(nz)))


def mutual_information_bits(pxy: ArrayLike) -> float:
    """Mutual information I(X; Y) in bits of a discrete joint distribution ``pxy[x, y]``."""
    p = _probabilities(pxy, "pxy", "mutual_information_bits")
    if p.ndim != 2:
        raise ParameterError(
            f"The 'pxy' argument of mutual_information_bits must be 2-D; got shape {p.shape}."
        )
    return max(0.0, entropy_bits(p.sum(1)) + entropy_bits(p.sum(0)) - entropy_bits(p))


def _probabilities(p: ArrayLike, name: str, owner: str) -> NDArray[np.float64]:
    arr = finite_array(p, name, owner)
    if np.any(arr < 0):
        raise ParameterError(f"The '{name}' argument of {owner} must be >= 0 everywhere.")
    s = float(arr.sum())
    if not abs(s - 1.0) < 1e-6:
        raise ParameterError(f"The '{name}' argument of {owner} must sum to 1; got sum {s!r}.")
    return arr / s


# -------------------------------------------------------------------------------------------
# Prequential code
# -------------------------------------------------------------------------------------------
class PrequentialCode:
    """Online (prequential) code length of a label sequence, and the bits learned from it.

    Each batch's labels are encoded with the model's predictive distribution computed *before*
    the model trains on that batch; the total code length is

        L_preq = Σ_i −log2 p_i(y_i)   bits,

    and the bits learned about the labels are ``n log2 K − L_preq``: how much shorter the
    labels became than the uniform code of ``log2 K`` bits each. For a Bayesian learner
    (predictive = posterior predictive) L_preq is exactly −log2 of the marginal likelihood, and
    E[L_preq] − n·H(Y|θ) = I(D; θ) (the redundancy of the mixture code, [4]_). The figure can
    be negative for a learner that predicts worse than uniform; it is reported as is.

    Parameters
    ----------
    n_classes : int
        Number of classes K (>= 2).
    floor : float
        Predicted probabilities below ``floor`` are counted as ``floor``, capping the code
        length of a single label at −log2(floor) bits (default 1e-12, i.e. ~39.9 bits).

    References
    ----------
    .. [1] L. Blier, Y. Ollivier, NeurIPS 2018 (prequential description length).
    .. [4] B. S. Clarke, A. R. Barron, IEEE Trans. Inf. Theory 36, 453 (1990).

    Examples
    --------
    >>> import numpy as np
    >>> pc = PrequentialCode(2)
    >>> bits = pc.update(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0]))
    >>> round(pc.bits_learned, 4)   # 2 - (1 + 0.152)
    0.848
    """

    def __init__(self, n_classes: int, *, floor: float = 1e-12) -> None:
        self.n_classes = check_int(n_classes, "n_classes", "PrequentialCode", minimum=2)
        self.floor = check_positive(floor, "floor", "PrequentialCode")
        self._bits = 0.0
        self._n = 0
        self._history: list[tuple[int, float]] = []

    def update(self, probs: ArrayLike, labels: ArrayLike) -> float:
        """Encode one batch; return its code length in bits.

        Parameters
        ----------
        probs : array_like, shape (B, K)
            Predictive probabilities computed *before* training on this batch; each row must
            be non-negative and sum to 1 (within 1e-6; rows are renormalised).
        labels : array_like of int, shape (B,)
            True class indices in ``[0, K)``.
        """
        p = finite_array(probs, "probs", "PrequentialCode.update")
        if p.ndim == 1:
            p = p[None, :]
        y = np.asarray(labels)
        if y.ndim == 0:
            y = y[None]
        if p.ndim != 2 or p.shape[1] != self.n_classes or p.shape[0] != y.shape[0]:
            raise ParameterError(
                "The 'probs' argument of PrequentialCode.update must have shape "
                f"(B, {self.n_classes}) matching labels of shape (B,); got {p.shape} and {y.shape}."
            )
        if not np.issubdtype(y.dtype, np.integer) or np.any(y < 0) or np.any(y >= self.n_classes):
            raise ParameterError(
                "The 'labels' argument of PrequentialCode.update must be integers in "
                f"[0, {self.n_classes}); got {y!r}."
            )
        rows = p.sum(axis=1)
        if np.any(p < 0) or np.any(np.abs(rows - 1.0) > 1e-6):
            raise ParameterError(
                "The 'probs' argument of PrequentialCode.update must have non-negative rows "
                f"summing to 1; got row sums in [{rows.min()}, {rows.max()}]."
            )
        py = p[np.arange(len(y)), y] / rows
        bits = float(-np.sum(np.log2(np.maximum(py, self.floor))))
        self._bits += bits
        self._n += int(len(y))
        self._history.append((self._n, self._bits))
        return bits

    @property
    def n(self) -> int:
        """Number of labels encoded so far."""
        return self._n

    @property
    def code_length_bits(self) -> float:
        """Total prequential code length L_preq in bits."""
        return self._bits

    @property
    def uniform_bits(self) -> float:
        """Code length of the uniform code, n log2 K bits."""
        return self._n * math.log2(self.n_classes)

    @property
    def bits_learned(self) -> float:
        """Bits learned, n log2 K − L_preq (negative for a worse-than-uniform learner)."""
        return self.uniform_bits - self._bits

    def curve(self) -> NDArray[np.float64]:
        """Array of (n, cumulative L_preq bits) after each update, shape (updates, 2)."""
        return np.asarray(self._history, dtype=np.float64).reshape(-1, 2)

    def state(self) -> dict[str, Any]:
        """JSON-ready state (for checkpoints)."""
        return {"n_classes": self.n_classes, "floor": self.floor, "n": self._n,
                "code_length_bits": self._bits}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> PrequentialCode:
        """Rebuild from :meth:`state` (the per-batch history is not restored)."""
        pc = cls(int(state["n_classes"]), floor=float(state.get("floor", 1e-12)))
        pc._n = int(state["n"])
        pc._bits = float(state["code_length_bits"])
        return pc


def dirichlet_multinomial_code_length_bits(counts: ArrayLike, alpha: float = 1.0) -> float:
    """Code length (bits) of a label sequence under the Dirichlet(α)-mixture sequential code.

    With counts n_k of each class in a sequence of length n, the sequential predictor
    p(y_{t+1}=k | y_1..t) = (n_k(t) + α)/(t + Kα) (Laplace for α = 1, Krichevsky–Trofimov for
    α = ½) assigns the whole sequence the probability
    Γ(Kα) ∏_k Γ(n_k + α) / (Γ(α)^K Γ(n + Kα)), independent of order. Returns −log2 of it.
    """
    c = finite_array(counts, "counts", "dirichlet_multinomial_code_length_bits")
    a = check_positive(alpha, "alpha", "dirichlet_multinomial_code_length_bits")
    k, n = c.size, float(c.sum())
    nats = (special.gammaln(n + k * a) - special.gammaln(k * a)
            - float(np.sum(special.gammaln(c + a) - special.gammaln(a))))
    return float(nats / LN2)


# -------------------------------------------------------------------------------------------
# Held-out cross-entropy gain
# -------------------------------------------------------------------------------------------
def cross_entropy_gain_bits(
    probs_test: ArrayLike,
    labels_test: ArrayLike,
    n_train: int,
    class_prior: ArrayLike | None = None,
    *,
    floor: float = 1e-12,
) -> float:
    """Held-out cross-entropy gain n_train · (H(Y) − CE_test) / ln 2 bits, floored at 0.

    H(Y) (nats) is the entropy of the class prior, CE_test (nats) the mean −ln p(y|x) of the
    trained model on held-out data. The product estimates how many bits of label information
    the n_train training labels were compressed by, had the trained model been used to code
    them; it is an *estimate* (it assumes the test loss is representative of the training
    examples), not a bound.

    Parameters
    ----------
    probs_test : array_like, shape (N, K)
        Predicted class probabilities on the test set.
    labels_test : array_like of int, shape (N,)
        Test labels.
    n_train : int
        Training-set size.
    class_prior : array_like, shape (K,), optional
        Class prior; default: the empirical class frequencies of ``labels_test``.
    floor : float
        Probabilities below ``floor`` are counted as ``floor``.
    """
    owner = "cross_entropy_gain_bits"
    p = finite_array(probs_test, "probs_test", owner)
    y = np.asarray(labels_test)
    n = check_int(n_train, "n_train", owner, minimum=0)
    if p.ndim != 2 or p.shape[0] != y.shape[0] or p.shape[0] == 0:
        raise ParameterError(
            f"The 'probs_test' argument of {owner} must have shape (N, K) with N = len(labels); "
            f"got {p.shape} and {y.shape}."
        )
    k = p.shape[1]
    if not np.issubdtype(y.dtype, np.integer) or np.any(y < 0) or np.any(y >= k):
        raise ParameterError(f"The 'labels_test' argument of {owner} must be integers in [0, {k}).")
    if class_prior is None:
        prior = np.bincount(y, minlength=k) / y.size
    else:
        prior = _probabilities(class_prior, "class_prior", owner)
        if prior.shape != (k,):
            raise ParameterError(f"The 'class_prior' argument of {owner} must have shape ({k},).")
    h_nats = entropy_bits(prior) * LN2
    ce_nats = float(-np.mean(np.log(np.maximum(p[np.arange(y.size), y], floor))))
    return max(0.0, n * (h_nats - ce_nats) / LN2)


# -------------------------------------------------------------------------------------------
# Gaussian information: weights, and the Gaussian-mean closed form
# -------------------------------------------------------------------------------------------
def gaussian_kl_bits(
    mean_q: ArrayLike, var_q: ArrayLike, mean_p: ArrayLike, var_p: ArrayLike
) -> float:
    """Σ KL(N(mean_q, var_q) ‖ N(mean_p, var_p)) in bits over broadcast elements.

    KL = ½ [ln(v_p/v_q) + (v_q + (m_q − m_p)²)/v_p − 1] nats per element.
    """
    owner = "gaussian_kl_bits"
    mq, vq = finite_array(mean_q, "mean_q", owner), finite_array(var_q, "var_q", owner)
    mp, vp = finite_array(mean_p, "mean_p", owner), finite_array(var_p, "var_p", owner)
    for name, var in (("var_q", vq), ("var_p", vp)):
        if np.any(var <= 0):
            raise ParameterError(f"The '{name}' argument of {owner} must be > 0 everywhere; "
                                 f"found {float(var[var <= 0].ravel()[0])!r}.")
    kl = 0.5 * (np.log(vp / vq) + (vq + (mq - mp) ** 2) / vp - 1.0)
    return float(np.sum(np.broadcast_to(kl, np.broadcast_shapes(mq.shape, vq.shape, mp.shape,
                                                                 vp.shape))) / LN2)


def gaussian_mean_posterior(
    samples: ArrayLike, prior_mean: float, prior_var: float, noise_var: float
) -> tuple[float, float]:
    """Return the posterior (mean, variance) of a Gaussian mean θ given samples x_i.

    Model: x_i = θ + N(0, noise_var), θ ~ N(prior_mean, prior_var).

    v_n = 1 / (1/prior_var + n/noise_var), m_n = v_n (prior_mean/prior_var + Σx/noise_var).
    """
    owner = "gaussian_mean_posterior"
    x = finite_array(samples, "samples", owner).ravel()
    s2 = check_positive(prior_var, "prior_var", owner)
    n2 = check_positive(noise_var, "noise_var", owner)
    v = 1.0 / (1.0 / s2 + x.size / n2)
    return float(v * (float(prior_mean) / s2 + float(x.sum()) / n2)), float(v)


def gaussian_mean_information_bits(n: int, prior_var: float, noise_var: float) -> float:
    """I(D; θ) = ½ log2(1 + n s²/σ²) bits for n noisy observations of a Gaussian mean.

    θ ~ N(0, s²), x_i = θ + N(0, σ²): the sample mean is a Gaussian channel with SNR n s²/σ²
    (Cover & Thomas §9.4). Equals E_D KL(posterior ‖ prior).
    """
    owner = "gaussian_mean_information_bits"
    n = check_int(n, "n", owner, minimum=0)
    return 0.5 * math.log2(1.0 + n * check_positive(prior_var, "prior_var", owner)
                           / check_positive(noise_var, "noise_var", owner))


def uniform_prior_moments(g_min: float, g_max: float) -> tuple[float, float]:
    """Mean and variance of a uniform distribution on [g_min, g_max] (e.g. conductances, S)."""
    lo = check_nonnegative(g_min, "g_min", "uniform_prior_moments", "S")
    hi = check_positive(g_max, "g_max", "uniform_prior_moments", "S")
    check_greater(hi, "g_max", "uniform_prior_moments", lo, "g_min", "S")
    return 0.5 * (lo + hi), (hi - lo) ** 2 / 12.0


def weight_information_bits(
    conductances: ArrayLike,
    *,
    noise_std: float | ArrayLike,
    prior_mean: float | ArrayLike,
    prior_std: float | ArrayLike,
) -> float:
    """Information stored in the weights: Σ_i KL(N(g_i, σ²) ‖ N(μ₀, s₀²)) in bits.

    Device noise (programming/read noise of standard deviation σ) makes the physical state of
    a trained device uncertain: the posterior over its conductance is taken as N(g_i, σ²).
    The prior N(μ₀, s₀²) must be chosen *without looking at the data* (e.g. the initial
    conductance distribution, or the moments of the device's range from
    :func:`uniform_prior_moments`). Because I(D; θ) = E_D KL(Q(θ|D) ‖ Q(θ)) and the marginal
    Q(θ) is the KL-minimising prior, E_D of this figure is an **upper bound** on I(D; θ);
    one trained network gives a single-sample estimate of that bound. Noisier devices
    (larger σ) store fewer bits.

    Parameters
    ----------
    conductances : array_like
        Trained conductances g_i in S (any shape).
    noise_std : float or array_like
        Device noise σ in S (> 0).
    prior_mean, prior_std : float or array_like
        Data-independent prior, in S (prior_std > 0).
    """
    owner = "weight_information_bits"
    g = finite_array(conductances, "conductances", owner)
    sd = finite_array(noise_std, "noise_std", owner)
    ps = finite_array(prior_std, "prior_std", owner)
    for name, arr in (("noise_std", sd), ("prior_std", ps)):
        if np.any(arr <= 0):
            raise ParameterError(f"The '{name}' argument of {owner} must be > 0 S; "
                                 f"found {float(arr[arr <= 0].ravel()[0])!r}.")
    return gaussian_kl_bits(g, sd**2, prior_mean, ps**2)


def weight_capacity_bits(n_weights: int, levels: int) -> float:
    """n_weights · log2(levels): the entropy ceiling of a memory of finite-level weights.

    I(D; θ) ≤ H(θ) ≤ this, for θ taking ``levels`` values per weight.
    """
    n = check_int(n_weights, "n_weights", "weight_capacity_bits", minimum=0)
    lv = check_int(levels, "levels", "weight_capacity_bits", minimum=1)
    return n * math.log2(lv)


# -------------------------------------------------------------------------------------------
# Coin bias (Beta–Bernoulli)
# -------------------------------------------------------------------------------------------
def beta_kl_nats(a1: float, b1: float, a2: float, b2: float) -> float:
    """KL(Beta(a1, b1) ‖ Beta(a2, b2)) in nats (closed form with digamma functions)."""
    return float(
        special.betaln(a2, b2) - special.betaln(a1, b1)
        + (a1 - a2) * special.digamma(a1) + (b1 - b2) * special.digamma(b1)
        + (a2 - a1 + b2 - b1) * special.digamma(a1 + b1)
    )


def beta_bernoulli_information_bits(n: int, a: float = 1.0, b: float = 1.0) -> float:
    """Exact I(D; θ) in bits for n tosses of a coin with bias θ ~ Beta(a, b).

    The head count k is sufficient, so I(D; θ) = I(k; θ) = Σ_k p(k) KL(Beta(a+k, b+n−k) ‖
    Beta(a, b)), with p(k) the beta-binomial pmf; computed by an exact finite sum.
    Asymptotically (Clarke & Barron 1990) I ≈ ½ log2(n/(2πe)) + ∫ p(θ) log2(√J(θ)/p(θ)) dθ with
    Fisher information J(θ) = 1/(θ(1−θ)); for the uniform prior the integral is 1/ln 2 bits.
    """
    owner = "beta_bernoulli_information_bits"
    n = check_int(n, "n", owner, minimum=0)
    a = check_positive(a, "a", owner)
    b = check_positive(b, "b", owner)
    from scipy.stats import betabinom

    k = np.arange(n + 1)
    pk = betabinom.pmf(k, n, a, b)
    kl = np.array([beta_kl_nats(a + kk, b + n - kk, a, b) for kk in k])
    return float(np.sum(pk * kl) / LN2)


# -------------------------------------------------------------------------------------------
# Information bottleneck
# -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class IBResult:
    """One solution of the iterative information bottleneck.

    Attributes
    ----------
    encoder : ndarray, shape (|X|, |T|)
        p(t|x).
    p_t : ndarray, shape (|T|,)
    p_y_given_t : ndarray, shape (|T|, |Y|)
    i_xt, i_ty : float
        I(X;T) and I(T;Y) in bits.
    beta : float
    n_iter : int
    converged : bool
    """

    encoder: NDArray[np.float64]
    p_t: NDArray[np.float64]
    p_y_given_t: NDArray[np.float64]
    i_xt: float
    i_ty: float
    beta: float
    n_iter: int
    converged: bool

    @property
    def lagrangian(self) -> float:
        """The IB functional I(X;T) − β I(T;Y) (bits) that the algorithm minimises."""
        return self.i_xt - self.beta * self.i_ty


def _ib_terms(
    px: NDArray[np.float64], py_x: NDArray[np.float64], q: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    pt = px @ q
    joint_ty = (q * px[:, None]).T @ py_x  # (T, Y)
    with np.errstate(divide="ignore", invalid="ignore"):
        py_t = np.where(pt[:, None] > 0, joint_ty / pt[:, None], 0.0)
        ratio_xt = np.where(q > 0, q / np.where(pt > 0, pt, 1.0)[None, :], 1.0)
        i_xt = float(np.sum(px[:, None] * q * np.log2(ratio_xt)))
    i_ty = mutual_information_bits(joint_ty / joint_ty.sum())
    return pt, py_t, max(0.0, i_xt), i_ty


def information_bottleneck(
    pxy: ArrayLike,
    n_clusters: int,
    beta: float,
    *,
    rng: np.random.Generator,
    init: ArrayLike | None = None,
    max_iter: int = 2000,
    tol: float = 1e-10,
) -> IBResult:
    """Run the iterative information bottleneck (Tishby et al. 1999) on a discrete p(x, y).

    Minimises I(X;T) − β I(T;Y) over encoders p(t|x) by the self-consistent iteration

        p(t|x) ∝ p(t) exp(−β KL[p(y|x) ‖ p(y|t)]),
        p(t) = Σ_x p(x) p(t|x),   p(y|t) = Σ_x p(y|x) p(t|x) p(x) / p(t),

    which converges to a local minimum (KL in nats, so β is per nat).

    Parameters
    ----------
    pxy : array_like, shape (|X|, |Y|)
        Joint distribution (sums to 1). Rows with p(x) = 0 are dropped.
    n_clusters : int
        |T|.
    beta : float
        Trade-off β >= 0.
    rng : numpy.random.Generator
        Draws the random initial encoder when ``init`` is None.
    init : array_like, optional
        Initial p(t|x), shape (|X|, |T|).
    """
    owner = "information_bottleneck"
    p = _probabilities(pxy, "pxy", owner)
    if p.ndim != 2:
        raise ParameterError(f"The 'pxy' argument of {owner} must be 2-D; got shape {p.shape}.")
    nt = check_int(n_clusters, "n_clusters", owner, minimum=1)
    b = check_nonnegative(beta, "beta", owner)
    px_all = p.sum(1)
    keep = px_all > 0
    px = px_all[keep]
    py_x = p[keep] / px[:, None]
    if init is None:
        q = rng.dirichlet(np.ones(nt), size=px.size)
    else:
        q = finite_array(init, "init", owner)[keep]
        if q.shape != (px.size, nt) or np.any(q < 0):
            raise ParameterError(f"The 'init' argument of {owner} must be a non-negative "
                                 f"({int(keep.sum())}, {nt}) array.")
        q = q / q.sum(1, keepdims=True)
    with np.errstate(divide="ignore"):
        log_pyx = np.where(py_x > 0, np.log(np.where(py_x > 0, py_x, 1.0)), 0.0)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        pt, py_t, _, _ = _ib_terms(px, py_x, q)
        with np.errstate(divide="ignore"):
            log_pyt = np.log(py_t)  # (T, Y); -inf where 0
        # KL[x, t] = Σ_y p(y|x) (log p(y|x) − log p(y|t)); inf if p(y|t) = 0 < p(y|x)
        with np.errstate(invalid="ignore"):
            cross = np.where(py_x[:, None, :] > 0, py_x[:, None, :] * log_pyt[None, :, :], 0.0)
        kl = np.sum(py_x * log_pyx, axis=1)[:, None] - cross.sum(axis=2)
        with np.errstate(divide="ignore"):
            logits = np.log(pt)[None, :] - b * kl
        logits = np.where(np.isnan(logits), -np.inf, logits)
        logits -= logits.max(axis=1, keepdims=True)
        q_new = np.exp(logits)
        q_new /= q_new.sum(axis=1, keepdims=True)
        delta = float(np.max(np.abs(q_new - q)))
        q = q_new
        if delta < tol:
            converged = True
            break
    pt, py_t, i_xt, i_ty = _ib_terms(px, py_x, q)
    enc = np.zeros((p.shape[0], nt))
    enc[keep] = q
    enc[~keep] = 1.0 / nt
    return IBResult(encoder=enc, p_t=pt, p_y_given_t=py_t, i_xt=i_xt, i_ty=i_ty, beta=b,
                    n_iter=it, converged=converged)


def ib_curve(
    pxy: ArrayLike,
    betas: Sequence[float] | ArrayLike,
    n_clusters: int,
    *,
    rng: np.random.Generator,
    n_restarts: int = 3,
    perturbation: float = 1e-2,
    max_iter: int = 2000,
) -> list[IBResult]:
    """Trace the IB curve over increasing β by deterministic annealing with random restarts.

    For each β (sorted ascending) the previous solution, slightly perturbed, seeds the
    iteration, alongside ``n_restarts`` random initialisations; the solution with the lowest
    I(X;T) − β I(T;Y) is kept. Returns one :class:`IBResult` per β in ascending order.
    """
    bs = np.sort(finite_array(betas, "betas", "ib_curve").ravel())
    r = check_int(n_restarts, "n_restarts", "ib_curve", minimum=0)
    out: list[IBResult] = []
    prev: NDArray[np.float64] | None = None
    for b in bs:
        cands: list[IBResult] = []
        if prev is not None:
            seed = prev * np.exp(perturbation * rng.standard_normal(prev.shape)) + 1e-12
            cands.append(information_bottleneck(pxy, n_clusters, float(b), rng=rng, init=seed,
                                                max_iter=max_iter))
        for _ in range(r if prev is not None else max(r, 1)):
            cands.append(information_bottleneck(pxy, n_clusters, float(b), rng=rng,
                                                max_iter=max_iter))
        best = min(cands, key=lambda res: res.lagrangian)
        out.append(best)
        prev = best.encoder
    return out


# -------------------------------------------------------------------------------------------
# Information plane of a hidden layer (binning)
# -------------------------------------------------------------------------------------------
def binned_information_plane(
    activations: ArrayLike,
    labels: ArrayLike,
    *,
    n_bins: int = 30,
    value_range: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """(I(X;T), I(T;Y)) in bits of a hidden layer, by binning its activations.

    Each unit's activation is cut into ``n_bins`` equal-width bins over ``value_range``
    (default: the min and max of ``activations``); T is the tuple of bin indices. X is the
    sample index, uniform over the N samples, so the layer is a deterministic function of X
    and I(X;T) = H(T) ≤ log2 N; I(T;Y) = H(T) + H(Y) − H(T, Y) from empirical counts
    (Shwartz-Ziv & Tishby 2017). Binning estimates depend on the bin count and are biased
    upward for few samples (Saxe et al. 2018); compare figures at equal N and ``n_bins``.

    Parameters
    ----------
    activations : array_like, shape (N, units)
    labels : array_like of int, shape (N,)
    n_bins : int
    value_range : (low, high), optional
    """
    owner = "binned_information_plane"
    a = finite_array(activations, "activations", owner)
    if a.ndim == 1:
        a = a[:, None]
    y = np.asarray(labels)
    if a.ndim != 2 or y.shape != (a.shape[0],) or a.shape[0] == 0:
        raise ParameterError(f"The 'activations' (N, units) and 'labels' (N,) arguments of "
                             f"{owner} must agree; got {a.shape} and {y.shape}.")
    nb = check_int(n_bins, "n_bins", owner, minimum=1)
    lo, hi = (float(a.min()), float(a.max())) if value_range is None else map(float, value_range)
    width = (hi - lo) / nb if hi > lo else 1.0
    idx = np.clip(np.floor((a - lo) / width), 0, nb - 1).astype(np.int64)
    _, t = np.unique(idx, axis=0, return_inverse=True)
    t = t.ravel()
    _, yy = np.unique(y, return_inverse=True)
    yy = yy.ravel()
    n = float(a.shape[0])
    h_t = entropy_bits(np.bincount(t) / n)
    h_y = entropy_bits(np.bincount(yy) / n)
    _, ty = np.unique(np.stack([t, yy], axis=1), axis=0, return_counts=True)
    h_ty = entropy_bits(ty / n)
    return h_t, max(0.0, h_t + h_y - h_ty)


# -------------------------------------------------------------------------------------------
# Joules per learned bit
# -------------------------------------------------------------------------------------------
def joules_per_bit_report(
    ledger: Any,
    bits: Mapping[str, float],
    default: str,
    temperature: float | None = None,
    *,
    min_bits: float = MIN_BITS,
) -> dict[str, Any]:
    """Joules per learned bit of a training run, JSON-ready (fields for ``metrics.json``).

    Parameters
    ----------
    ledger : thermolearn.energy.EnergyLedger
        The run's ledger; its irreversible total (J) without any ``source="bound"`` entry
        (a bound is not a dissipation) is the energy of learning.
    bits : mapping str -> float
        Bits learned per estimator (e.g. ``{"prequential": ..., "cross_entropy_gain": ...}``).
    default : str
        The estimator whose figure is the headline ``joules_per_bit``.
    temperature : float, optional
        Temperature (K) for kT ln 2; default the ledger's temperature.
    min_bits : float
        Below this many bits the ratio is not formed: the fields are ``None`` with a reason.

    Returns
    -------
    dict
        ``bits_learned`` {estimator: bits}, ``default_estimator``, ``energy_joules``,
        ``energy_by_source`` {"simulated"|"model"|"bound": J},
        ``joules_per_bit`` (J/bit or None), ``landauer_joules_per_bit`` (kT ln 2),
        ``landauer_ratio`` (J/bit ÷ kT ln 2 or None), ``joules_per_bit_by_estimator``,
        ``joules_per_bit_by_category``, ``landauer_ratio_by_category``, ``temperature_K``,
        ``joules_per_bit_note`` (None or the reason the ratio is missing) and ``note``
        (where the numbers come from).
    """
    from thermolearn.physics import landauer_limit

    owner = "joules_per_bit_report"
    if not bits:
        raise ParameterError(f"The 'bits' argument of {owner} must name at least one estimator.")
    clean: dict[str, float] = {}
    for name, value in bits.items():
        v = float(value)
        if not math.isfinite(v):
            raise ParameterError(f"The 'bits' argument of {owner} must be finite; "
                                 f"got {value!r} for estimator {name!r}.")
        clean[str(name)] = v
    if default not in clean:
        raise ParameterError(f"The 'default' argument of {owner} must be one of "
                             f"{sorted(clean)}; got {default!r}.")
    temp = float(ledger.temperature if temperature is None else
                 check_positive(temperature, "temperature", owner, "K"))
    kt_ln2 = landauer_limit(temp)
    # The energy of learning is what the hardware dissipated (simulated or modelled); a figure
    # booked with source "bound" is a theoretical minimum and is never added to it.
    breakdown: dict[str, float] = {}
    sources: dict[str, float] = {}
    for row in ledger.rows():
        if row["reversible"]:
            continue
        src = str(row["source"])
        sources[src] = sources.get(src, 0.0) + float(row["joules"])
        if src != "bound":
            cat = str(row["category"])
            breakdown[cat] = breakdown.get(cat, 0.0) + float(row["joules"])
    breakdown = dict(sorted(breakdown.items(), key=lambda kv: -kv[1]))
    energy = float(sum(breakdown.values()))

    def per_bit(joules: float, b: float) -> float | None:
        return joules / b if b >= min_bits else None

    b0 = clean[default]
    jpb = per_bit(energy, b0)
    reason = None
    if jpb is None:
        reason = (f"the '{default}' estimator reports {b0:.3g} bits (< {min_bits:g}): "
                  "no information learned that can carry the energy; J/bit undefined")
    by_cat = {k: per_bit(v, b0) for k, v in breakdown.items()}
    return {
        "bits_learned": clean,
        "default_estimator": default,
        "energy_joules": energy,
        "energy_by_source": sources,
        "temperature_K": temp,
        "landauer_joules_per_bit": kt_ln2,
        "joules_per_bit": jpb,
        "landauer_ratio": None if jpb is None else jpb / kt_ln2,
        "joules_per_bit_note": reason,
        "joules_per_bit_by_estimator": {k: per_bit(energy, v) for k, v in clean.items()},
        "joules_per_bit_by_category": by_cat,
        "landauer_ratio_by_category": {k: (None if v is None else v / kt_ln2)
                                       for k, v in by_cat.items()},
        "note": ("energy: irreversible joules booked in the ledger, split by source in "
                 "energy_by_source (simulated I·V·t, or modelled converter figures); bits: an "
                 "estimate of information learned about the labels; kT ln 2: the Landauer "
                 "bound per bit, a bound, not a measurement"),
    }


__all__ = [
    "MIN_BITS",
    "PrequentialCode",
    "IBResult",
    "beta_bernoulli_information_bits",
    "beta_kl_nats",
    "binned_information_plane",
    "cross_entropy_gain_bits",
    "dirichlet_multinomial_code_length_bits",
    "entropy_bits",
    "gaussian_kl_bits",
    "gaussian_mean_information_bits",
    "gaussian_mean_posterior",
    "ib_curve",
    "information_bottleneck",
    "joules_per_bit_report",
    "mutual_information_bits",
    "uniform_prior_moments",
    "weight_capacity_bits",
    "weight_information_bits",
]
