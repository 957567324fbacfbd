"""The default estimator of pipeline.quantify, checked by simulation (benchmarks/quantify_simulation.py
has the full study and prints the tables).

Synthetic years of known composition (a classifier with macro-F1 ~0.8, errors towards
组织建设, 2-60 documents per year, calibration sets of 300-1000 rows): the corrected share must be
within 0.04 of the truth on average, its 95% interval must cover the truth in >= 85% of year x
category cells, and it must beat classify-and-count. On real held-out documents:
tests/test_quantify_real.py."""

from __future__ import annotations

import pytest

from benchmarks import quantify_simulation as sim
from pipeline.quantify import DEFAULT_METHOD

DEFAULT = DEFAULT_METHOD.value


@pytest.fixture(scope="module")
def synthetic_cells():
    scenarios = [
        sim.Scenario("calibrated", 1.0, 0.0, 1000),
        sim.Scenario("overconfident", 2.0, 0.0, 1000),
        sim.Scenario("underconfident, cal 300", 0.5, 0.0, 300),
    ]
    return sim.synthetic_study(2, seed=1, scenarios=scenarios, n_boot=100, methods=("cc", "pcc", "acc", DEFAULT))


def test_default_meets_the_targets_on_synthetic_years(synthetic_cells):
    table = sim.summarise(synthetic_cells)
    assert table.loc[DEFAULT, "MAE"] < 0.04, table
    assert table.loc[DEFAULT, "coverage"] >= 0.85, table
    assert table.loc[DEFAULT, "MAE"] < 0.75 * table.loc["cc", "MAE"], table
    assert table.loc["cc", "coverage"] < table.loc[DEFAULT, "coverage"], table


def test_default_holds_in_every_scenario(synthetic_cells):
    per = sim.summarise(synthetic_cells[synthetic_cells["estimator"] == DEFAULT], ("scenario",))
    assert (per["MAE"] < 0.05).all(), per
    assert (per["coverage"] >= 0.8).all(), per


def test_simulated_classifier_is_realistic(synthetic_cells):
    """macro-F1 in the brief's 0.75-0.9 band on the calibration sets."""
    assert synthetic_cells["f1"].between(0.75, 0.9).all()
