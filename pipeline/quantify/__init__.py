"""Category shares per group corrected for the classifier's errors (quantification), with intervals.

Classify-and-count (CC: the character share of paragraphs by predicted label) is biased whenever
the classifier errs, and the bias grows the further a year's mix is from the labelled set's. This
module estimates, for every group (year, or any document column), the character share of each
category corrected for the misclassification rates measured on an out-of-fold *calibration set*,
and a 95% interval that also reflects the uncertainty of those rates. Pure numpy/pandas/scipy:
no sklearn, no file I/O; it sits in the trends layer::

    cal = Calibration.from_arrays(true_labels, oof_posteriors, label_docs, labels, weights=label_chars)
    table = estimate_shares(p, predicted, n_chars, doc_ids, years, cal)   # method=DEFAULT_METHOD
    method_note(table["method"].iat[0])   # "shares half-corrected: ..." for the report

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
* ``blend`` (the default) the mean of CC and PACC: PACC's correction, halved (the correction
  shrunk half-way towards classify-and-count).

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
replicate. Resampling documents makes it an interval for what the year's documents stand for;
for the share of the documents at hand it is conservative.

The between-source term (``shift``, on by default). Error rates differ between kinds of source
(a discipline commission's 组织建设 paragraphs about its own cadres go to 作风建设; a government
work report's economic paragraphs that mention 党的领导 go to 政治建设), and a collection of a new
kind has its own. When the calibration rows carry their kind of source (``sources``, at least
two), every group also gets the correction it would have with each source's error rates alone
(ACC/PACC with that source's ``M_s``; a column of ``M_s`` resting on few rows of its class is
shrunk towards the pooled one, weight ``rows / (rows + kappa)``, ``kappa`` = 20); ``tau`` = the
root mean square of their differences from ``share`` (``S - 1`` degrees of freedom), and each
side of the bootstrap interval is widened to ``sqrt(half**2 + (1.96 tau)**2)`` (clipped to [0,
1]). For ``blend`` this also counts its distance from the full correction. Without sources (a
calibration stored before they were) the interval is the bootstrap one and the note says nothing
about sources.

Groups with fewer than ``min_docs`` (5, ``schema.SMALL_GROUP_DOCS``) documents are flagged
``small_group`` (their interval rests on very few documents). With a single document only the
calibration part varies.

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

Choice of the default, on real documents the model never saw (``benchmarks/quantify_real.py``,
project model ``char_svm``, 2,853 labelled paragraphs of 1,006 documents in 7 source groups;
years of 2-40 held-out documents of strongly varying composition, truth = their hand labels;
mean absolute error per year x category / coverage of the 95% interval):

* a source group the model and its calibration never saw (leave one group out, 7 x 40 years,
  1,120 cells): CC 0.057 / 0.91, ACC 0.058 / 0.90, PACC 0.058 / 0.90, EM 0.065 / 0.93,
  **blend 0.055 / 0.93** (0.87 without the between-source term). Worst group: the national
  reports (75% 其他; every estimator 0.06-0.10, coverage 0.63-0.93).
* documents of kinds also in training (5 folds of documents, 800 cells): CC 0.044 / 0.99, ACC
  0.042, PACC 0.039 / 0.98, EM 0.040 / 0.97, **blend 0.037 / 0.99**.

The errors of CC and of the corrections are correlated but not the same (CC flattens
differences between years; the corrections carry the error rates of the labelled sources over to
a new one, where they hold only in part), so their mean errs less than either in both designs.
Chosen on the other folds in turn (nested), ``blend`` wins every time; the weight of CC chosen
that way (0.3-0.7) errs no less than the fixed half. Calibration posteriors from
leave-one-source-out fits instead of document-grouped CV made every correction worse (PACC 0.070
and 0.050). EM is also 4x slower. ``DEFAULT_METHOD = "blend"``; ``share_raw`` is always CC.
Synthetic years (``benchmarks/quantify_simulation.py``: the prior-shift assumption holds exactly)
favour the full correction (PACC 0.020, blend 0.023, CC 0.038); the real documents do not.

Speed (``tests/test_quantify.py::test_bootstrap_is_fast``): 40 groups x 4 categories x 200
replicates over 20,000 paragraphs of 1,667 documents with a 1,000-row calibration set of 7
sources, the default method: well under a second. A run over the whole shared corpus: see
``docs/classifier.md`` (*Corrected shares*).
"""

from __future__ import annotations

from pipeline.quantify.calibration import CALIBRATION_FORMAT, DEFAULT_METHOD, LEVEL, SHARE_COLUMNS, Calibration, Method, method_note
from pipeline.quantify.estimate import estimate_shares

__all__ = ["Method", "DEFAULT_METHOD", "SHARE_COLUMNS", "Calibration", "estimate_shares", "method_note", "CALIBRATION_FORMAT", "LEVEL"]
