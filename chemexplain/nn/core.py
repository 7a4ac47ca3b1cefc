"""Generic torch helpers every model and explainer shares: padding, length masks,
seeded re-initialization, the batch type of the training loops, and the device
rules (where a module lives; gradients through a GRU and full float32 on a GPU).

Torch only; nothing here knows SMILES, images or words.
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import nn

__all__ = [
    "CONTROL_SEED",
    "Batch",
    "constructor_arguments",
    "EarlyStopping",
    "epoch_bar",
    "fixed_shape_batches",
    "fixed_shape_groups",
    "full_float32",
    "gradient_context",
    "length_batches",
    "length_mask",
    "module_device",
    "pad_ids",
    "reinitialize",
    "store_parameters",
    "TrainingSchedule",
]

#: The seed of every randomized-model control (Adebayo et al. 2018): the CLI's,
#: the paper reproduction's and the attribution benchmark's re-drawn weights.
CONTROL_SEED = 12345

#: One training batch: (inputs, lengths (B,) or None for fixed-size inputs, targets or None).
Batch = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]


def constructor_arguments(arguments: dict, *, skip: tuple[str, ...] = ()) -> dict:
    """``locals()`` taken in a module-level class's ``__init__`` before any other name is
    bound (a closure's free names would show up too) -> the
    constructor's arguments by name (a network's JSON config), without ``self``."""
    return {k: v for k, v in arguments.items() if k not in ("self", "__class__", *skip)}


def store_parameters(obj: object, arguments: dict, *, skip: tuple[str, ...] = ()) -> None:
    """Store each constructor argument as an attribute of its own name (scikit-learn's
    convention, which ``get_params`` and ``clone`` read back).

    Call it as ``store_parameters(self, locals())`` in ``__init__`` before any other
    name is bound; ``skip`` names arguments the constructor stores in another form.
    """
    for name, value in constructor_arguments(arguments, skip=skip).items():
        setattr(obj, name, value)


def pad_ids(sequences: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id sequences with 0 -> (ids (B, L) long, lengths (B,) long)."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    ids = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
    return ids, lengths


def length_batches(
    sequences: Sequence[Sequence[int]], batch_size: int
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """Batches of similar length, for inference: ``(rows, ids (B, L), lengths (B,))``.

    Sequences are sorted by length (stably, so ties keep their order) and cut
    into batches of ``batch_size``; ``rows`` are their indices in ``sequences``.
    Padding is then minimal, and each row's result does not depend on the batch.
    """
    order = np.argsort([len(s) for s in sequences], kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        yield (rows, *pad_ids([sequences[r] for r in rows]))


#: Shape of every batch :func:`fixed_shape_batches` makes: rows, and the multiple
#: of tokens each sequence's length is rounded up to.
FIXED_BATCH_ROWS, LENGTH_BUCKET = 32, 8


def fixed_shape_groups(
    sizes: Sequence[int], batch_rows: int = FIXED_BATCH_ROWS, bucket: int = LENGTH_BUCKET
) -> Iterator[tuple[np.ndarray, int]]:
    """``(rows, width)`` batches whose shape depends on nothing but each item's own size.

    Items are grouped by ``width``, their size rounded up to a multiple of
    ``bucket``, in input order, and cut into groups of at most ``batch_rows``;
    the caller pads every group to ``batch_rows`` rows and ``width`` columns.
    An item then meets the same matrix shapes whether it is alone or among
    thousands, at any position, so on CPU float32 kernels give it the same bits
    in any batch (checked by ``tests/nn/test_core.py``).
    """
    groups: dict[int, list[int]] = {}
    for row, size in enumerate(sizes):
        groups.setdefault(max(1, -(-size // bucket)) * bucket, []).append(row)
    for width in sorted(groups):
        members = groups[width]
        for start in range(0, len(members), batch_rows):
            yield np.asarray(members[start : start + batch_rows], dtype=np.int64), width


def fixed_shape_batches(
    sequences: Sequence[Sequence[int]],
    batch_rows: int = FIXED_BATCH_ROWS,
    bucket: int = LENGTH_BUCKET,
) -> Iterator[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
    """Id sequences in batches of a fixed shape (:func:`fixed_shape_groups`):
    ``(rows, ids (batch_rows, L), lengths (batch_rows,))``.

    ``rows`` holds the indices of the real rows, which come first; the others
    are one-token filler rows (id 0). Padding to the bucket costs a little more
    work than :func:`length_batches`.
    """
    for rows, width in fixed_shape_groups([len(s) for s in sequences], batch_rows, bucket):
        ids = torch.zeros(batch_rows, width, dtype=torch.long)
        lengths = torch.ones(batch_rows, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(sequences[r])] = torch.as_tensor(sequences[r], dtype=torch.long)
            lengths[i] = len(sequences[r])
        yield rows, ids, lengths


def reinitialize(module: nn.Module, seed: int) -> nn.Module:
    """Re-draw every parameter of ``module`` (in place) from its initializer, seeded.

    The model-randomization control of Adebayo et al. (2018): an explanation
    that survives it does not depend on what the model learned.
    """
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    for sub in module.modules():
        if sub is not module and hasattr(sub, "reset_parameters"):
            sub.reset_parameters()
    torch.random.set_rng_state(generator_state)
    return module


@contextlib.contextmanager
def gradient_context(device: str | torch.device) -> Iterator[None]:
    """Gradients on, even inside ``torch.no_grad()``; on a GPU also cuDNN off, because a
    backward pass through a GRU in eval mode fails under cuDNN ("cudnn RNN backward can
    only be called in training mode"; Captum #328, #564). For attribution methods and the
    mask's training, which differentiate through the frozen model."""
    with torch.enable_grad():
        if torch.device(device).type == "cuda":
            with torch.backends.cudnn.flags(enabled=False):
                yield
        else:
            yield


@contextlib.contextmanager
def full_float32(device: str | torch.device) -> Iterator[None]:
    """On a GPU, float32 arithmetic in full precision: no TF32 in cuDNN's convolutions and
    GRUs nor in matrix products (cuDNN uses TF32 by default), and deterministic cuDNN
    algorithms, so that a prediction is the CPU's to float32 rounding (measured by
    ``scripts/check_device.py``: benchmarks/README.md, "GPU"). Nothing changes on the CPU."""
    if torch.device(device).type != "cuda":
        yield
        return
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    before = cudnn.allow_tf32, matmul.allow_tf32, cudnn.deterministic
    cudnn.allow_tf32 = matmul.allow_tf32 = False
    cudnn.deterministic = True
    try:
        yield
    finally:
        cudnn.allow_tf32, matmul.allow_tf32, cudnn.deterministic = before


def module_device(module: nn.Module) -> torch.device:
    """The device a module's parameters live on (the CPU for a module without any)."""
    parameter = next(module.parameters(), None)
    return torch.device("cpu") if parameter is None else parameter.device


def length_mask(lengths: torch.Tensor, max_length: int) -> torch.Tensor:
    """Boolean (B, L) mask, True at real (non-padding) positions."""
    positions = torch.arange(max_length, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)


class EarlyStopping:
    """Keep the weights of the best epoch; stop after ``patience`` epochs without progress.

    Every training loop of the package uses it::

        stopping = EarlyStopping(network, patience=8)
        for epoch in range(1, max_epochs + 1):
            ...                                   # one epoch of training
            if stopping.step(val_loss, epoch):    # lower is better
                break
        stopping.restore()                        # best weights back, eval mode

    An epoch counts as progress when its score is below the best so far by
    more than ``min_delta``. Before any progress the weights it restores are
    the ones it was given.
    """

    def __init__(self, module: nn.Module, patience: int, min_delta: float = 1e-6):
        self.module, self.patience, self.min_delta = module, patience, min_delta
        self.best, self.best_epoch, self.stale = math.inf, None, 0
        self.best_state = copy.deepcopy(module.state_dict())

    def step(self, score: float, epoch: int) -> bool:
        """Record one epoch's validation score; True when training should stop."""
        if score < self.best - self.min_delta:
            self.best, self.best_epoch, self.stale = score, epoch, 0
            self.best_state = copy.deepcopy(self.module.state_dict())
            return False
        self.stale += 1
        return self.stale >= self.patience

    def restore(self) -> nn.Module:
        """Load the best weights into the module and put it in eval mode."""
        self.module.load_state_dict(self.best_state)
        return self.module.eval()


@dataclass(frozen=True)
class TrainingSchedule:
    """How an explainer core trains its network: Adam at ``learning_rate``, at most
    ``max_epochs`` epochs, stopped after ``patience`` epochs without progress on the
    validation loss (:class:`EarlyStopping`), seeded by ``random_state``; a line or a
    progress bar per epoch when ``verbose``.

    The scikit-learn-style estimators keep these as their own parameters (``get_params``
    lists them) and hand the cores ``TrainingSchedule.of(self)``.
    """

    learning_rate: float = 1e-3
    max_epochs: int = 40
    patience: int = 6
    random_state: int = 0
    verbose: bool = True

    @classmethod
    def of(cls, estimator: object) -> TrainingSchedule:
        """The schedule that an estimator's attributes of the same names give."""
        return cls(**{f.name: getattr(estimator, f.name) for f in fields(cls)})

    @classmethod
    def take(cls, options: dict) -> TrainingSchedule:
        """The schedule named in ``options`` (defaults for the rest), removed from it."""
        return cls(**{f.name: options.pop(f.name) for f in fields(cls) if f.name in options})


def epoch_bar(epochs: int, desc: str, verbose: bool):
    """A tqdm progress bar over epochs 1..``epochs`` on stderr (silent unless ``verbose``)."""
    from tqdm.auto import tqdm

    return tqdm(
        range(1, epochs + 1),
        desc=desc,
        unit="epoch",
        file=sys.stderr,
        disable=not verbose,
        dynamic_ncols=True,
    )
