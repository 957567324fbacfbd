"""Category shares per group corrected for the classifier's errors (quantification), with intervals.

Classify-and-count (CC: the character share of paragraphs by predicted label) is biased whenever
the classifier errs, and the bias grows the further a year's mix is from the labelled set's. This
module estimates, for every group (year, or any document column), the character share of each
category corrected for the misclassification rates measured on an out-of-fold *calibration set*,
and a 95% interval that also reflects the uncertainty of those rates. Pure numpy/pandas/scipy:
no sklearn, no file I/O; it sits in the trends layer::

    cal = Calibration.from_arrays(true_labels, oof_posteriors, label_docs, labels, weights=label_chars)
    table = estimate_shares(p, predicted, n_chars, doc_ids, years, cal)   # method=DEFAULT_METHOD
    method_note(table["method"].iat[0])   # "shares corrected by PACC ..." for the report

Estimators (``method``; ``M[i, j]`` is the character-weighted rate "true j is scored as i"):

* ``cc``   classify and count: character share of paragraphs by predicted label (= ``share_raw``).
* ``pcc``  probabilistic CC: character-weighted mean of the posteriors.
* ``acc``  adjusted CC: ``M[i, j] = P(pred=i | true=j)``; solves ``min ||M p - q_cc||`` over the
  probability simplex (exact constrained least squares, see below), not clip-and-renormalise.
* ``pacc`` probabilistic ACC: ``M[:, j]`` = mean posterior of the calibration rows of true class j,
  ``q`` = PCC; same constrained solve.
* ``em``   Saerens-Latinne-Decaestecker EM: re-weights every paragraph's posterior by
  ``prior_new / prior_train`` (training prior = the calibration set's class prior) until the mean
  adjusted posterior is a fixed point; the share is the character-weighted mean of the adjusted
  posteriors.

Characters, not paragraphs. The share is a share of characters (weight = ``n_chars``, as
``pipeline.trends.category_shares`` has always weighed). ACC/PACC use character-weighted ``q`` and
character-weighted ``M`` (calibration weights = the labelled paragraphs' lengths): if the
class-conditional distribution of paragraphs (length included) is the same in a year as in the
labelled set, ``q_w = M_w p_w`` holds exactly for the character shares ``p_w``. EM works on
paragraph priors (its E-step is per paragraph) and weighs the adjusted posteriors by characters at
the end. With unit weights every estimator equals its textbook (and QuaPy's) definition.

The constrained solve. ``min ||M p - q||^2`` s.t. ``p >= 0, sum p = 1`` for a whole batch of
(replicate x group) problems at once: accelerated projected gradient (FISTA, step ``1/L`` with
``L`` the largest eigenvalue of ``M'M``, sort-based simplex projection), then a polish that solves
the equality-constrained least squares on the found support exactly (KKT system) and keeps it when
it is feasible and satisfies the optimality conditions. A ``1e-10`` ridge towards the CC share
picks one solution when ``M`` is singular (a category never predicted in the calibration set).

Intervals. ``n_boot`` replicates, each resampling (a) the documents within every group (with
replacement, same number of documents) and (b) the calibration set by its groups (documents), so
``M`` (or the EM training prior) is re-estimated in every replicate; 2.5/97.5 percentiles, widened
if needed to contain ``share``. Deterministic for a given ``seed`` and independent of row order.
A class missing from a resampled calibration set keeps the full set's column of ``M`` in that
replicate. Groups with fewer than ``min_docs`` documents are flagged ``small_group`` (their
interval rests on very few documents). With a single document only the calibration part varies.

Fallback. If a class of the label order has no calibration rows (e.g. six-way labels with a
four-way labelled set, or no calibration stored with the model), ``acc``/``pacc``/``em`` cannot be
corrected: the run falls back to ``cc`` for every group; the ``method`` column says ``cc`` and
``table.attrs["method_note"]`` says why.

Why our own code, not QuaPy (measured on this machine, 2 shared cores, Python 3.11): QuaPy 0.2.3
(HLT-ISTI) implements exactly these estimators and is the reference of the differential test
(``tests/test_quantify.py``: ACC/PACC/EM agree with ``quapy.method.aggregative`` to 1e-6 on the
same precomputed posteriors). It is not used at run time because (1) ``import quapy`` costs
~2.2 s on top of numpy/pandas/scipy (it imports sklearn, matplotlib, the dataset loaders), and
this layer must not import sklearn; (2) its ACC/PACC solve one SLSQP problem per call (~2.6 ms
each): the 200 x 40 = 8,000 problems of a bootstrap take ~21 s against ~0.06 s batched here;
(3) it has no sample weights (our shares are character shares). The whole module is ~500 lines.

Selection of the default (``benchmarks/quantify_simulation.py``, tables in its docstring): over
synthetic years (calibrated, over- and under-confident classifiers, class-conditional drift,
calibration sets of 300-2500 rows, 2-60 documents per year) and real held-out documents of
``data/labels`` mixed into years of strongly varying composition, PACC had the lowest mean
absolute error overall and intervals covering the truth in >= 90% of year x category cells;
EM is as accurate when posteriors are calibrated but degrades and under-covers when they are
not; ACC is unbiased but noisier; CC/PCC are off by 0.05-0.10. ``DEFAULT_METHOD = "pacc"``.

Speed (``tests/test_quantify.py::test_bootstrap_is_fast``): 40 groups x 4 categories x 200
replicates over 20,000 paragraphs of 1,600 documents with a 1,000-row calibration set:
~0.25 s for pacc/acc (of which the constrained solves ~0.06 s), ~0.15 s for cc/pcc; em ~1-2 s.
"""

from __future__ import annotations

from pipeline.quantify.calibration import CALIBRATION_FORMAT, DEFAULT_METHOD, LEVEL, SHARE_COLUMNS, Calibration, Method, method_note
from pipeline.quantify.estimate import estimate_shares

__all__ = ["Method", "DEFAULT_METHOD", "SHARE_COLUMNS", "Calibration", "estimate_shares", "method_note", "CALIBRATION_FORMAT", "LEVEL"]
