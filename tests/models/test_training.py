"""models.training: the 80/10/10 training run behind `chemexplain train`."""

import pandas as pd
import pytest

import chemexplain as cx
from chemexplain.errors import DataFormatError
from chemexplain.models.training import train_on_frame


@pytest.mark.parametrize("n", [1, 2])
def test_too_few_molecules_for_the_split_is_one_clear_error(n):
    """One molecule crashed with ZeroDivisionError in the first epoch; two trained with an
    empty validation part (val_rmse NaN, 'Mean of empty slice')."""
    frame = pd.DataFrame({"smiles": ["CCO", "CCCO"][:n], "logS": [1.5, 0.5][:n]})
    with pytest.raises(DataFormatError, match=f"{n} molecules are too few for an 80/10/10"):
        train_on_frame(frame, "logS", max_epochs=1)


def test_fit_with_nothing_to_train_or_validate_on_says_so():
    model = cx.SmilesRegressor("paper", max_epochs=1)
    with pytest.raises(ValueError, match="got 0 and 1"):
        model.fit(["CCO"], [1.0])
    with pytest.raises(ValueError, match="got 2 and 0"):
        model.fit(["CCO", "CCCO"], [1.0, 0.5], [], [])
