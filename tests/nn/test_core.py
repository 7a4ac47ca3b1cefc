"""nn.core: fixed-shape batches give a sequence the same float32 output in any batch; the
device helpers."""

from __future__ import annotations

import numpy as np
import torch

from chemexplain.nn.core import (
    TrainingSchedule,
    constructor_arguments,
    fixed_shape_batches,
    full_float32,
    gradient_context,
    module_device,
    store_parameters,
)
from chemexplain.nn.smiles2vec import Smiles2Vec, Smiles2VecConfig


def test_fixed_shape_batches_group_by_rounded_length_and_fill_every_batch():
    sequences = [[1] * n for n in (3, 17, 5, 16, 33, 2)]
    batches = list(fixed_shape_batches(sequences, batch_rows=2, bucket=16))
    shapes = [tuple(ids.shape) for _, ids, _ in batches]
    assert shapes == [(2, 16), (2, 16), (2, 32), (2, 48)]
    assert [r.tolist() for r, _, _ in batches] == [[0, 2], [3, 5], [1], [4]]
    rows, ids, lengths = batches[2]
    assert lengths.tolist() == [17, 1]  # one filler row: a single id 0
    assert ids[1].tolist() == [0] * 32 and ids[0, :17].tolist() == [1] * 17


def test_float32_output_of_a_sequence_is_the_same_alone_or_in_any_batch():
    torch.manual_seed(0)
    config = Smiles2VecConfig(
        vocab_size=12, conv_filters=192, gru_sizes=(224, 384)
    )  # `paper` sizes
    network = Smiles2Vec(config).eval()
    rng = np.random.default_rng(0)
    sequences = [rng.integers(1, 12, size=rng.integers(1, 60)).tolist() for _ in range(60)]

    def outputs(batch):
        out = {}
        with torch.inference_mode():
            for rows, ids, lengths in fixed_shape_batches([sequences[i] for i in batch]):
                values = network(ids, lengths)[: len(rows)]
                out.update({batch[r]: v for r, v in zip(rows, values.tolist())})
        return out

    alone = {i: outputs([i])[i] for i in range(len(sequences))}
    for _ in range(3):
        order = rng.permutation(len(sequences))[: rng.integers(20, 61)].tolist()
        mixed = outputs(order)
        assert all(abs(mixed[i] - alone[i]) <= 1e-9 for i in order)
    # the control: without fixed shapes, float32 outputs move with the batch
    from chemexplain.nn.core import pad_ids

    with torch.inference_mode():
        single = [network(*pad_ids([s])).item() for s in sequences]
        together = network(*pad_ids(sequences)).tolist()
    assert max(abs(a - b) for a, b in zip(single, together)) > 1e-9


def test_constructor_arguments_and_store_parameters_read_the_constructor_locals():
    class Net(torch.nn.Module):
        def __init__(self, width: int = 3, depth: int = 2):
            super().__init__()  # a zero-argument super() puts __class__ into locals()
            self.config = constructor_arguments(locals())

    class Estimator:
        def __init__(self, alpha=0.5, *, network="graph", verbose=True):
            store_parameters(self, locals(), skip=("network",))

    assert Net(width=5).config == {"width": 5, "depth": 2}
    estimator = Estimator(alpha=2.0, network="sequence")
    assert vars(estimator) == {"alpha": 2.0, "verbose": True}


def test_device_helpers_on_the_cpu():
    # attribution methods and the mask's training differentiate inside callers' no_grad blocks
    with torch.no_grad():
        with gradient_context("cpu"):
            assert torch.is_grad_enabled()
        assert not torch.is_grad_enabled()
    assert module_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert module_device(torch.nn.ReLU()) == torch.device("cpu")  # no parameters
    flags = lambda: (  # noqa: E731
        torch.backends.cudnn.allow_tf32,
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.deterministic,
    )
    before = flags()
    with full_float32("cpu"):  # nothing to switch off on the CPU
        assert flags() == before
    with full_float32("cuda"):  # the flags alone; no GPU is needed to set them
        assert flags() == (False, False, True)
    assert flags() == before


def test_training_schedule_is_read_from_an_estimator_or_taken_out_of_options():
    class Estimator:
        learning_rate, max_epochs, patience, random_state, verbose = 2e-3, 7, 3, 5, False

    assert TrainingSchedule.of(Estimator()) == TrainingSchedule(2e-3, 7, 3, 5, False)
    options = {"max_epochs": 9, "task": "multiclass", "verbose": False}
    schedule = TrainingSchedule.take(options)
    assert options == {"task": "multiclass"}  # what is not a schedule's stays
    assert schedule == TrainingSchedule(max_epochs=9, verbose=False)
    assert (schedule.learning_rate, schedule.patience, schedule.random_state) == (1e-3, 6, 0)
