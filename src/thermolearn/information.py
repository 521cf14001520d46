"""Bits learned: estimators of information, each with what it bounds.

thermolearn's hypothesis is about the mutual information I(D; θ) between the training set D
and the learned parameters θ (E_learn >= kT ln 2 · I(D; θ)), and about the bits erased in
the weight memory (each costs at least kT ln 2). The estimators fall in three families:

**Information written into the conductances** (the default of every training run):

* :func:`weight_information_bound_bits` — an *upper bound* on I(D; θ), θ the readable device
  states: Σ KL(N(g, σ²) ‖ P) between the posterior implied by the read noise σ of every device
  (:func:`conductance_read_noise_std`, Johnson noise of the read) and a data-independent
  prior centred on the initial conductances, plus the log2 K cost of choosing the prior width.
* :func:`level_code_bound_bits` — the same bound at the resolution of the device levels: the
  code length of the level displacements under a data-independent code (I(D; θ) <= H(θ | R)).
* :func:`conductance_capacity_bits` — the capacity of one noisy conductance of finite range
  and levels; times the number of devices, a ceiling that no learning rule can exceed.

**Bits erased by the updates** (× kT ln 2 = the Landauer bound of learning on the hardware):

* :func:`overwrite_erased_bits` — H(old | new) of the device states of one update (an upper
  estimate from the increments), summed per run by the caller.

**Predictive information about labels** (kept, not the default; not a bound on I(D; θ)):

* :class:`PrequentialCode` — the online (prequential) code length of the training labels;
  ``n log2 K − L_preq`` bits is the compression of the labels that the learner achieved while
  learning them (Blier & Ollivier 2018). For a Bayesian learner its expectation exceeds the
  code length under the true parameter by exactly I(D; θ)
  (see :func:`beta_bernoulli_information_bits`). :func:`calibrated_prequential_bits` codes
  with a readout whose temperature is fitted online on labels already sent, and skips
  repeated examples; :func:`distinct_first` orders the first pass so that copies of sent
  examples cannot train the learner before a new example is coded.
* :func:`cross_entropy_gain_bits` — n · (H(Y) − CE_test) / ln 2, the held-out saving per example
  times the training-set size, floored at 0. An estimate, not a bound;
  :func:`calibrated_cross_entropy_gain_bits` fits the readout temperature on held-out folds
  so that the figure does not depend on the raw readout scale.
* :func:`weight_information_bits` — Σ KL(N(g, σ²) ‖ P) against a fixed Gaussian prior
  (the older form of the weight bound, kept for its closed-form tests).
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
.. [7] T. Sagawa, "Thermodynamic and logical reversibilities revisited", J. Stat. Mech.
   (2014) P03025: a deterministic map X -> Y dissipates at least kT ln 2 · (H(X) − H(Y))
   = kT ln 2 · H(X | Y).
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
from thermolearn.numerics import log_softmax
from thermolearn.physics import K_B, landauer_limit
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
# Information written into the conductances (upper bounds on I(D; θ))
# -------------------------------------------------------------------------------------------
#: Grid of prior widths of :func:`weight_information_bound_bits`: (σ² + s²)/σ² = 2^(j/16),
#: j = 0 .. 16·48 − 1 (SNRs up to 2^48); its description costs log2(len) bits per group.
PRIOR_GRID_STEPS_PER_OCTAVE = 16
PRIOR_GRID_OCTAVES = 48


def gaussian_channel_capacity_bits(snr: ArrayLike) -> NDArray[np.float64]:
    """Capacity ½ log2(1 + SNR) bits per use of the additive Gaussian channel.

    Cover & Thomas §9.1: for input power P and noise variance N, C = ½ log2(1 + P/N); the
    Gaussian input achieves it, so it is also I(X; X + Z) for X ~ N(·, P), Z ~ N(0, N).
    """
    s = finite_array(snr, "snr", "gaussian_channel_capacity_bits")
    if np.any(s < 0):
        raise ParameterError("The 'snr' argument of gaussian_channel_capacity_bits must be >= 0.")
    return 0.5 * np.log2(1.0 + s)


def conductance_read_noise_std(
    conductance: ArrayLike,
    *,
    temperature: float,
    read_voltage: float,
    read_time: float,
    relative_noise: float = 0.0,
) -> NDArray[np.float64]:
    """Return the std (S) of one read of a conductance: Johnson noise plus device noise.

    A read applies ``read_voltage`` V across the device and integrates its current for
    ``read_time`` s (noise bandwidth Δf = 1/(2 t)); Johnson current noise 4kTGΔf referred to
    conductance gives σ_J² = 2kTG / (t V²). Device read noise (1/f, random telegraph) is an
    optional ``relative_noise`` · G added in quadrature. This is the noise every readout of
    the weight memory sees, whatever the algorithm does with it.

    Parameters
    ----------
    conductance : array_like
        G in S (>= 0).
    temperature : float
        K.
    read_voltage : float
        V (> 0).
    read_time : float
        Integration time, s (> 0).
    relative_noise : float
        Device read noise as a fraction of G (>= 0).
    """
    owner = "conductance_read_noise_std"
    g = finite_array(conductance, "conductance", owner)
    if np.any(g < 0):
        raise ParameterError(f"The 'conductance' argument of {owner} must be >= 0 S.")
    t = check_positive(temperature, "temperature", owner, "K")
    v = check_positive(read_voltage, "read_voltage", owner, "V")
    tr = check_positive(read_time, "read_time", owner, "s")
    rel = check_nonnegative(relative_noise, "relative_noise", owner)
    return np.sqrt(2.0 * K_B * t * g / (tr * v * v) + (rel * g) ** 2)


def conductance_capacity_bits(
    g_min: float, g_max: float, noise_std: float, levels: int | None = None
) -> float:
    """Capacity (bits per device) of a conductance in [g_min, g_max] read with noise σ.

    Any input confined to an interval of width Δ = g_max − g_min has variance <= Δ²/4, so
    the additive-Gaussian-noise channel G -> G + N(0, σ²) carries at most
    ½ log2(1 + Δ²/(4σ²)) bits (the power-constrained capacity, Cover & Thomas §9.1, is an
    upper bound of the amplitude-constrained one). A memory resolved to ``levels``
    distinguishable states also holds at most log2(levels) bits; the smaller figure is
    returned.
    """
    owner = "conductance_capacity_bits"
    lo = check_nonnegative(g_min, "g_min", owner, "S")
    hi = check_positive(g_max, "g_max", owner, "S")
    check_greater(hi, "g_max", owner, lo, "g_min", "S")
    sd = check_positive(noise_std, "noise_std", owner, "S")
    c = float(gaussian_channel_capacity_bits((hi - lo) ** 2 / (4.0 * sd * sd)))
    if levels is not None:
        c = min(c, math.log2(check_int(levels, "levels", owner, minimum=1)))
    return c


def weight_information_bound_bits(
    conductances: Sequence[ArrayLike],
    initial: Sequence[ArrayLike],
    noise_std: Sequence[ArrayLike] | ArrayLike,
    prior_noise_std: Sequence[ArrayLike] | ArrayLike | None = None,
) -> dict[str, Any]:
    """Upper bound on the information I(D; θ) written into the conductances of a memory.

    θ is the readable state of the devices, θ_i = g_i + ε_i with independent read noise
    ε_i ~ N(0, σ_i²) (:func:`conductance_read_noise_std`); g = f(D, R) is the trained state,
    a function of the data D and of data-independent randomness R (initial conductances,
    shuffling, write noise). Because D ⊥ R,

        I(D; θ) <= I(D; θ | R) <= E KL(N(g, σ²) ‖ P_R)

    for any prior P_R fixed without the data [6]_. The prior used here, per group (one
    crossbar), is a mixture over a grid of K widths s_k of N(g0_i, σ0_i² + s_k²) centred on
    the *initial* conductances g0 (known given R), σ0 the noise at g0; KL to a mixture is at
    most min_k KL_k + log2 K, so the bound is

        Σ_groups [ min_k Σ_i KL(N(g_i, σ_i²) ‖ N(g0_i, σ0_i² + s_k²)) + log2 K ]   bits.

    An untrained memory (g = g0) gives about log2 K bits per group; for displacements
    d ~ N(0, v) with constant σ the minimum approaches the Gaussian channel capacity
    (n/2) log2(1 + v/σ²) (:func:`gaussian_channel_capacity_bits`). One run gives a
    single-sample estimate of the expectation. Duplicating the training examples changes
    it only as much as it changes the trained conductances.

    Parameters
    ----------
    conductances, initial : sequence of array_like
        Trained and initial conductances (S), one array per group (equal shapes).
    noise_std : sequence of array_like, or array_like
        Read-noise standard deviation σ (S, > 0) at the trained conductances: one entry
        per group (broadcast against it), or one value for all groups.
    prior_noise_std : same as ``noise_std``, optional
        σ0, the read noise at the initial conductances (default: ``noise_std``); it must
        not depend on the data.

    Returns
    -------
    dict
        ``bits`` (the bound), ``bits_by_group``, ``prior_snr_by_group`` (s²/σ² of the chosen
        prior width), ``grid_cost_bits`` (log2 K per group), ``n_devices``.
    """
    owner = "weight_information_bound_bits"
    gs = [finite_array(g, "conductances", owner) for g in conductances]
    g0s = [finite_array(g, "initial", owner) for g in initial]
    if len(gs) != len(g0s) or any(a.shape != b.shape for a, b in zip(gs, g0s, strict=False)):
        raise ParameterError(f"The 'conductances' and 'initial' arguments of {owner} must be "
                             "sequences of arrays of equal shapes.")
    def per_group_std(value: Any, name: str) -> list[NDArray[np.float64]]:
        if isinstance(value, list | tuple):
            out = [finite_array(v, name, owner) for v in value]
            if len(out) != len(gs):
                raise ParameterError(f"The '{name}' argument of {owner} needs one entry per "
                                     f"group ({len(gs)}); got {len(out)}.")
            return out
        return [finite_array(value, name, owner)] * len(gs)

    sds = per_group_std(noise_std, "noise_std")
    sd0s = sds if prior_noise_std is None else per_group_std(prior_noise_std, "prior_noise_std")
    ratios = 2.0 ** (np.arange(PRIOR_GRID_STEPS_PER_OCTAVE * PRIOR_GRID_OCTAVES)
                     / PRIOR_GRID_STEPS_PER_OCTAVE)
    cost = math.log2(ratios.size)
    per_group, snr = [], []
    for g, g0, sd, sd0 in zip(gs, g0s, sds, sd0s, strict=True):
        var = np.broadcast_to(sd, g.shape).astype(np.float64) ** 2
        var0 = np.broadcast_to(sd0, g.shape).astype(np.float64) ** 2
        if np.any(var <= 0) or np.any(var0 <= 0):
            raise ParameterError(f"The 'noise_std' and 'prior_noise_std' arguments of {owner} "
                                 "must be > 0 S.")
        d2 = (g - g0) ** 2
        # KL(N(g, v) ‖ N(g0, r v0)) = ½ [ln r + ln(v0/v) + (v + d²)/(r v0) − 1] nats per device
        a = float(np.sum((var + d2) / var0))
        n = g.size
        kl = 0.5 * (n * np.log(ratios) + float(np.sum(np.log(var0 / var))) + a / ratios - n)
        k = int(np.argmin(kl))
        per_group.append(float(kl[k]) / LN2 + cost)
        snr.append(float(ratios[k] - 1.0))
    return {"bits": float(sum(per_group)), "bits_by_group": per_group,
            "prior_snr_by_group": snr, "grid_cost_bits": cost,
            "n_devices": int(sum(g.size for g in gs))}


def level_code_bound_bits(
    final_levels: Sequence[ArrayLike],
    initial_levels: Sequence[ArrayLike],
) -> dict[str, Any]:
    """Upper bound on the information in a memory resolved to its levels: a code length.

    θ_i is the level of device i (the memory holds ``levels`` distinguishable states) and
    θ0_i its initial level, fixed by the data-independent randomness R. Then
    I(D; θ) <= I(D; θ | R) <= H(θ | R) <= E L(θ − θ0) for any prefix code L fixed without
    the data (Kraft). The code used, per group, is the best of K discretised Gaussians of
    the level displacement Δ = θ − θ0, P_s(Δ) = Φ((Δ+½)/s) − Φ((Δ−½)/s), widths s on a
    grid, plus log2 K bits to name the width:

        Σ_groups [ min_k Σ_i −log2 P_{s_k}(Δ_i) + log2 K ]   bits.

    An untrained memory costs about log2 K bits per group; displacements drawn from a
    discretised Gaussian of variance v >> 1 cost about ½ log2(2πe v) bits per device (its
    entropy). One run gives a single-sample estimate of the expectation.

    Returns
    -------
    dict
        ``bits``, ``bits_by_group``, ``width_by_group`` (levels), ``grid_cost_bits``.
    """
    owner = "level_code_bound_bits"
    if len(final_levels) != len(initial_levels):
        raise ParameterError(f"The 'final_levels' and 'initial_levels' arguments of {owner} "
                             "must have one array per group.")
    widths = 2.0 ** (np.arange(-4 * 8, 16 * 8) / 8.0)  # 1/16 .. 2^16 levels
    cost = math.log2(widths.size)
    out, chosen = [], []
    for a, b in zip(final_levels, initial_levels, strict=True):
        d = (np.asarray(a) - np.asarray(b)).ravel()
        if d.shape != np.asarray(b).ravel().shape or not np.issubdtype(d.dtype, np.integer):
            raise ParameterError(f"The level arrays of {owner} must be integer arrays of equal "
                                 "shapes (see quantise_levels).")
        vals, counts = np.unique(d, return_counts=True)
        hi = special.ndtr((vals[None, :] + 0.5) / widths[:, None])
        lo = special.ndtr((vals[None, :] - 0.5) / widths[:, None])
        p = np.maximum(hi - lo, 1e-300)
        lengths = -(np.log2(p) * counts[None, :]).sum(axis=1)
        k = int(np.argmin(lengths))
        out.append(float(lengths[k]) + cost)
        chosen.append(float(widths[k]))
    return {"bits": float(sum(out)), "bits_by_group": out, "width_by_group": chosen,
            "grid_cost_bits": cost}


# -------------------------------------------------------------------------------------------
# Bits erased by overwriting a memory: H(old | new)
# -------------------------------------------------------------------------------------------
def conditional_entropy_bits(pxy: ArrayLike) -> float:
    """H(X | Y) = H(X, Y) − H(Y) in bits of a discrete joint distribution ``pxy[x, y]``."""
    p = _probabilities(pxy, "pxy", "conditional_entropy_bits")
    if p.ndim != 2:
        raise ParameterError("The 'pxy' argument of conditional_entropy_bits must be 2-D; "
                             f"got shape {p.shape}.")
    return max(0.0, entropy_bits(p) - entropy_bits(p.sum(0)))


def quantise_levels(
    w: ArrayLike, w_min: float, w_max: float, levels: int
) -> NDArray[np.int64]:
    """Level indices 0 .. levels − 1 of values ``w`` on the uniform grid over [w_min, w_max]."""
    owner = "quantise_levels"
    lv = check_int(levels, "levels", owner, minimum=2)
    check_greater(float(w_max), "w_max", owner, float(w_min), "w_min")
    a = finite_array(w, "w", owner)
    idx = np.rint((a - w_min) / ((w_max - w_min) / (lv - 1)))
    return np.clip(idx, 0, lv - 1).astype(np.int64)


def overwrite_erased_bits(
    old: ArrayLike, new: ArrayLike, levels: int
) -> float:
    """Bits erased when a memory of ``levels``-state cells is overwritten old -> new.

    The Landauer cost of an update whose increments are not kept is kT ln 2 per bit of
    H(old | new): what the new contents no longer tell about the old ones (Sagawa 2014,
    reference [7] of this module). The cells of one update are taken as
    samples of one overwrite distribution. With Δ = new − old, old is a function of (new, Δ),
    so H(old | new) = H(Δ | new) <= H(Δ | B(new)), B splitting the cells into those that end
    at the lower bound, the upper bound, or inside; the plug-in estimate of the right-hand
    side over the cells, times the number of cells, is returned. It equals n·H(Δ) for
    unclipped updates (exact when Δ is independent of old), never counts an unchanged
    memory, and is far below the log2(levels) bits per changed cell of a worst-case count.

    Parameters
    ----------
    old, new : array_like of int
        Level indices before and after (equal shapes).
    levels : int
        Number of levels per cell.
    """
    owner = "overwrite_erased_bits"
    lv = check_int(levels, "levels", owner, minimum=2)
    o = np.asarray(old).ravel()
    nw = np.asarray(new).ravel()
    if o.shape != nw.shape:
        raise ParameterError(f"The 'old' and 'new' arguments of {owner} must have equal shapes;"
                             f" got {np.shape(old)} and {np.shape(new)}.")
    if o.size == 0:
        return 0.0
    if not (np.issubdtype(o.dtype, np.integer) and np.issubdtype(nw.dtype, np.integer)):
        raise ParameterError(f"The 'old' and 'new' arguments of {owner} must be integer level "
                             "indices (see quantise_levels).")
    delta = (nw - o).astype(np.int64)
    cls = np.where(nw <= 0, 0, np.where(nw >= lv - 1, 2, 1))
    total = 0.0
    for c in (0, 1, 2):
        sel = delta[cls == c]
        if sel.size:
            _, counts = np.unique(sel, return_counts=True)
            total += sel.size * entropy_bits(counts / sel.size)
    return float(total)


# -------------------------------------------------------------------------------------------
# Predictive information about labels, with a calibrated readout
# -------------------------------------------------------------------------------------------
def fit_inverse_temperature(scores: ArrayLike, labels: ArrayLike) -> float:
    """Inverse temperature b >= 0 minimising the cross-entropy of softmax(b · scores).

    The mean −ln p is convex in b (the log-partition function is convex and the score of
    the label is linear in b), so a bounded scalar search finds the global minimum; b = 0
    is the uniform predictor. The search runs on b · std(scores) in [0, 1e3], so rescaling
    the raw scores by any factor rescales b by its inverse and leaves the fitted
    probabilities unchanged (to the search tolerance, 1e-10 relative).

    Parameters
    ----------
    scores : array_like, shape (N, K)
        Raw readout scores (e.g. output voltages, V).
    labels : array_like of int, shape (N,)
    """
    from scipy.optimize import minimize_scalar

    owner = "fit_inverse_temperature"
    z = finite_array(scores, "scores", owner)
    y = np.asarray(labels)
    if z.ndim != 2 or y.shape != (z.shape[0],) or z.shape[0] == 0:
        raise ParameterError(f"The 'scores' (N, K) and 'labels' (N,) arguments of {owner} must "
                             f"agree; got {z.shape} and {y.shape}.")
    scale = float(np.std(z))
    if not scale > 0:
        return 0.0
    zn = z / scale
    rows = np.arange(y.size)

    def nll(u: float) -> float:
        return float(-np.mean(log_softmax(u * zn, axis=1)[rows, y]))

    res = minimize_scalar(nll, bounds=(0.0, 1e3), method="bounded",
                          options={"xatol": 1e-10 * 1e3, "maxiter": 500})
    u = float(res.x)
    if nll(0.0) <= nll(u):
        u = 0.0
    return u / scale


def calibrated_probabilities(scores: ArrayLike, inverse_temperature: float) -> NDArray[np.float64]:
    """softmax(b · scores) row-wise."""
    z = finite_array(scores, "scores", "calibrated_probabilities")
    b = check_nonnegative(inverse_temperature, "inverse_temperature", "calibrated_probabilities")
    return np.exp(log_softmax(b * z, axis=1))


def distinct_count(x: ArrayLike) -> int:
    """Return the number of distinct rows of ``x`` (training examples listed twice count once)."""
    a = np.ascontiguousarray(np.asarray(x))
    if a.ndim == 1:
        a = a[:, None]
    return int(np.unique(a, axis=0).shape[0])


def first_occurrence(ids: ArrayLike) -> NDArray[np.bool_]:
    """Mask of the entries of ``ids`` that are the first occurrence of their value."""
    v = np.asarray(ids).ravel()
    _, first = np.unique(v, return_index=True)
    mask = np.zeros(v.size, dtype=bool)
    mask[first] = True
    return mask


def distinct_first(order: ArrayLike, ids: ArrayLike) -> NDArray[np.int64]:
    """Reorder ``order`` (indices into ``ids``) so every id's first occurrence comes first.

    The first occurrences keep their relative order, and so do the repeats that follow them;
    without repeated ids the order is returned unchanged. A prequential pass over the result
    codes every distinct example before any copy of an example already sent can train the
    learner, so the code does not grow with the number of copies (see
    :func:`calibrated_prequential_bits`).
    """
    o = np.asarray(order, dtype=np.int64).ravel()
    first = first_occurrence(np.asarray(ids).ravel()[o])
    if first.all():
        return o
    return np.concatenate([o[first], o[~first]])


def calibrated_cross_entropy_gain_bits(
    scores_test: ArrayLike,
    labels_test: ArrayLike,
    n_train: int,
    class_prior: ArrayLike | None = None,
    *,
    folds: int = 2,
) -> dict[str, Any]:
    """Held-out cross-entropy gain with a readout calibrated on held-out data.

    The raw readout scores are turned into probabilities softmax(b · s) with the inverse
    temperature b fitted (:func:`fit_inverse_temperature`) on the other folds of the
    held-out set (cross-fitting: no example is scored by a temperature fitted on it), and
    the gain n_train · (H(Y) − CE) / ln 2 is formed as in :func:`cross_entropy_gain_bits`.
    It is *predictive information about labels* (an estimate, not a bound on I(D; θ)); the
    calibration makes it independent of the arbitrary scale of the raw readout. ``n_train``
    should count distinct training examples (:func:`distinct_count`).

    Returns
    -------
    dict
        ``bits``, ``inverse_temperatures`` (one per fold, per score unit),
        ``cross_entropy_bits`` (mean, calibrated), ``prior_entropy_bits``.
    """
    owner = "calibrated_cross_entropy_gain_bits"
    z = finite_array(scores_test, "scores_test", owner)
    y = np.asarray(labels_test)
    f = check_int(folds, "folds", owner, minimum=2)
    if z.ndim != 2 or y.shape != (z.shape[0],) or z.shape[0] < f:
        raise ParameterError(f"The 'scores_test' (N, K) and 'labels_test' (N,) arguments of "
                             f"{owner} must agree with N >= folds; got {z.shape}, {y.shape}.")
    k = z.shape[1]
    fold = np.arange(y.size) % f
    probs = np.empty_like(z)
    temps = []
    for j in range(f):
        b = fit_inverse_temperature(z[fold != j], y[fold != j])
        temps.append(b)
        probs[fold == j] = calibrated_probabilities(z[fold == j], b)
    if class_prior is None:
        prior = np.bincount(y, minlength=k) / y.size
    else:
        prior = _probabilities(class_prior, "class_prior", owner)
    bits = cross_entropy_gain_bits(probs, y, n_train, prior)
    ce = float(-np.mean(np.log2(np.maximum(probs[np.arange(y.size), y], 1e-12))))
    return {"bits": bits, "inverse_temperatures": temps, "cross_entropy_bits": ce,
            "prior_entropy_bits": entropy_bits(prior)}


def calibrated_prequential_bits(
    scores: Sequence[ArrayLike],
    labels: Sequence[ArrayLike],
    n_classes: int,
    *,
    ids: Sequence[ArrayLike] | None = None,
) -> dict[str, Any]:
    """Prequential label information with a readout calibrated online on past labels.

    Batch t of the first pass is coded with softmax(b_t · s), the raw scores s predicted
    before training on it and b_t fitted (:func:`fit_inverse_temperature`) on the scores
    and labels of batches 0 .. t − 1 — labels the receiver already has, so the code stays a
    valid prequential code (the first batch is coded uniformly). Examples whose ``ids``
    occurred earlier (a duplicated training example: the same inputs *and* label) are
    skipped: their labels were already sent. Returns the :class:`PrequentialCode` figure
    ``n log2 K − L_preq`` as ``bits``: predictive information about labels, independent of
    the raw readout scale.

    Skipping the copies is not enough when they are interleaved with new examples: a copy
    trains the learner before later new examples are coded, so the code would shrink (and the
    bits grow, 1.4-1.6x at 2-3 copies) with the number of copies, which carry no information.
    The caller therefore presents the first pass in :func:`distinct_first` order (every
    distinct example once, then the copies), as ``run_training`` does. Near-duplicates (rows
    that differ at all) are distinct examples and are coded; how few bits they cost is the
    learner's generalisation, which is what the code measures.
    """
    owner = "calibrated_prequential_bits"
    if len(scores) != len(labels) or (ids is not None and len(ids) != len(labels)):
        raise ParameterError(f"The 'scores', 'labels' (and 'ids') arguments of {owner} must "
                             "have one entry per batch.")
    pc = PrequentialCode(n_classes)
    keep_all = None
    if ids is not None:
        keep_all = first_occurrence(np.concatenate([np.asarray(i).ravel() for i in ids]))
    seen_z: list[NDArray[np.float64]] = []
    seen_y: list[NDArray[np.int64]] = []
    temps = []
    pos = 0
    for s, yb in zip(scores, labels, strict=True):
        z = finite_array(s, "scores", owner)
        y = np.asarray(yb).astype(np.int64)
        keep = np.ones(y.size, bool) if keep_all is None else keep_all[pos:pos + y.size]
        pos += y.size
        z, y = z[keep], y[keep]
        if y.size == 0:
            continue
        b = fit_inverse_temperature(np.concatenate(seen_z), np.concatenate(seen_y)) \
            if seen_z else 0.0
        temps.append(b)
        pc.update(calibrated_probabilities(z, b), y)
        seen_z.append(z)
        seen_y.append(y)
    return {"bits": pc.bits_learned, "code_length_bits": pc.code_length_bits,
            "n_coded": pc.n, "inverse_temperatures": temps}


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
    "calibrated_cross_entropy_gain_bits",
    "calibrated_prequential_bits",
    "calibrated_probabilities",
    "conditional_entropy_bits",
    "conductance_capacity_bits",
    "conductance_read_noise_std",
    "distinct_count",
    "distinct_first",
    "first_occurrence",
    "fit_inverse_temperature",
    "gaussian_channel_capacity_bits",
    "level_code_bound_bits",
    "overwrite_erased_bits",
    "quantise_levels",
    "weight_information_bound_bits",
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
