"""The estimators are scikit-learn estimators: clone, get/set_params, score, cross_val_score,
and scikit-learn's own estimator checks as far as SMILES input allows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_score
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import estimator_checks_generator

from chemexplain import SmilesClassifier, SmilesRegressor
from chemexplain.models.ensemble import SmilesEnsemble

TINY = dict(gru_sizes=(8, 8), max_epochs=2, patience=2, batch_size=32, verbose=False)

#: scikit-learn checks that need no numeric X; each must pass.
API_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimator_repr",
    "check_estimator_tags_renamed",
    "check_valid_tag_types",
    "check_estimator_cloneable",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_parameters_default_constructible",
]
#: What is not run, and why. The estimators declare ``input_tags.two_d_array =
#: False`` and ``input_tags.string = True`` (X is a sequence of SMILES), and
#: scikit-learn's generator then yields only its API checks: every other check
#: (dtypes, sparse input, NaN/inf, n_features_in_, pickling, fit idempotence,
#: sample-order invariance, regressors_train ...) builds a numeric 2-D X that no
#: SMILES model can read. Fit idempotence, order invariance and save/load
#: round trips are tested with SMILES in tests/test_estimator.py and
#: tests/attacks/test_determinism.py instead.
#:
#: ``check_estimators_unfitted`` is not run either: it wants
#: ``sklearn.exceptions.NotFittedError`` itself. ``chemexplain.errors.NotFittedError``
#: is, like it, a ValueError and an AttributeError (tested below), but does not
#: subclass it: ``chemexplain.errors`` is loaded by ``chemexplain --help``, and
#: importing scikit-learn there would cost that command about a second.


def estimators():
    return [
        SmilesRegressor(**TINY),
        SmilesClassifier(**TINY),
        SmilesEnsemble(n_members=2, estimator_params=TINY),
    ]


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", API_CHECKS)
def test_scikit_learn_api_check(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(estimator_checks, check)(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_everything_the_generator_yields_passes(estimator):
    names = []
    for instance, check in estimator_checks_generator(estimator, legacy=True):
        check(instance)
        names.append(getattr(check, "func", check).__name__)
    assert "check_estimator_cloneable" in names
    assert set(names) <= set(API_CHECKS), f"new checks to review: {set(names) - set(API_CHECKS)}"


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_unfitted_predict_raises_what_scikit_learn_code_catches(estimator):
    with pytest.raises(ValueError, match="fit"):
        estimator.predict(["CCO"])
    with pytest.raises(AttributeError, match="fit"):
        estimator.predict(["CCO"])


def test_clone_get_and_set_params():
    model = SmilesRegressor("best", random_state=3, max_epochs=2, verbose=False)
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    assert copy.get_params()["config"] == "best" and copy.get_params()["random_state"] == 3
    assert copy.set_params(max_epochs=5) is copy and copy.max_epochs == 5
    assert model.max_epochs == 2
    with pytest.raises(ValueError, match="Invalid parameter"):
        copy.set_params(no_such_knob=1)
    ensemble = clone(SmilesEnsemble(n_members=3, estimator_params={"max_epochs": 1}))
    assert ensemble.get_params()["n_members"] == 3
    assert ensemble.get_params()["estimator_params"] == {"max_epochs": 1}


def test_clone_of_a_fitted_model_is_unfitted(tiny_model):
    copy = clone(tiny_model)
    assert not hasattr(copy, "module_")
    assert copy.get_params() == tiny_model.get_params()


def test_cross_val_score_equals_fitting_each_fold_by_hand(esol):
    part = esol.iloc[:90]
    smiles, y = np.asarray(part.smiles.tolist(), dtype=object), part.logS.to_numpy()
    folds = KFold(3, shuffle=True, random_state=0)
    model = SmilesRegressor(random_state=0, **TINY)
    scores = cross_val_score(model, smiles, y, cv=folds)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    train, test = next(iter(folds.split(smiles)))
    by_hand = clone(model).fit(list(smiles[train]), y[train])
    expected = r2_score(y[test], by_hand.predict(list(smiles[test])))
    assert scores[0] == pytest.approx(expected, abs=1e-9)
    assert by_hand.score(list(smiles[test]), y[test]) == pytest.approx(expected, abs=1e-12)
