"""Image datasets: scikit-learn's bundled digits, a planted-patch set, a local CIFAR-10.

Every function returns float tensors shaped (N, C, H, W) with pixel values in
[0, 1] (the planted-patch set: [-1, 1]) and integer labels (N,). Nothing is
downloaded: the digits ship with scikit-learn, the planted-patch set is
generated, and CIFAR-10 is read from a
copy the user already has (the binary or the python version, as a folder or
the archive). The python version is a pickle; it is read with an unpickler
that only rebuilds numpy arrays, so a tampered file cannot run code.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from chemexplain.data.datasets import find_local_copy
from chemexplain.errors import DataFormatError

__all__ = [
    "ImageSplits",
    "load_digits_splits",
    "planted_patch_dataset",
    "random_shift",
    "random_erase",
    "load_cifar10",
    "CIFAR10_CLASSES",
]

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


@dataclass
class ImageSplits:
    """Train / validation / test tensors: images (N, C, H, W) in [0, 1], labels (N,)."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


def load_digits_splits(
    test_size: float = 0.2, val_size: float = 0.1, random_state: int = 0
) -> ImageSplits:
    """scikit-learn's 1,797 handwritten digits (8x8, 0-16 scaled to [0, 1]), stratified splits."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target, dtype=torch.long)
    index = np.arange(len(y))
    rest, test = train_test_split(
        index, test_size=test_size, stratify=digits.target, random_state=random_state
    )
    train, val = train_test_split(
        rest,
        test_size=val_size / (1 - test_size),
        stratify=digits.target[rest],
        random_state=random_state,
    )
    return ImageSplits(x[train], y[train], x[val], y[val], x[test], y[test])


def planted_patch_dataset(
    n: int, image_size: int = 16, patch_size: int = 4, random_state: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images whose class is decided only by a small striped patch at a random position.

    The background is uniform noise in [-1, 1], zero on average, so that a
    mask that zeroes it leaves an image the classifier has seen the like of
    (less noise), not a new kind of image. Class 0 carries a patch of
    horizontal stripes (rows alternate +1 and -1), class 1 vertical stripes.

    Returns
    -------
    images (n, 1, S, S), labels (n,), patch (n, 1, S, S) boolean, True inside the patch.
    """
    rng = np.random.default_rng(random_state)
    images = rng.uniform(-1, 1, size=(n, 1, image_size, image_size)).astype(np.float32)
    patch = np.zeros_like(images, dtype=bool)
    labels = rng.integers(0, 2, size=n)
    stripes = np.where(np.arange(patch_size) % 2 == 0, 1.0, -1.0).astype(np.float32)
    patterns = [np.repeat(stripes[:, None], patch_size, 1), np.repeat(stripes[None], patch_size, 0)]
    for i in range(n):
        row, col = rng.integers(0, image_size - patch_size + 1, size=2)
        images[i, 0, row : row + patch_size, col : col + patch_size] = patterns[labels[i]]
        patch[i, 0, row : row + patch_size, col : col + patch_size] = True
    return torch.from_numpy(images), torch.from_numpy(labels).long(), torch.from_numpy(patch)


def random_shift(
    images: torch.Tensor, generator: torch.Generator, max_shift: int = 1
) -> torch.Tensor:
    """Shift each image by up to ``max_shift`` pixels in x and y, filling with 0 (augmentation)."""
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)
    size = images.shape[-1]
    shifts = torch.randint(0, 2 * max_shift + 1, (len(images), 2), generator=generator)
    return torch.stack(
        [p[:, r : r + size, c : c + size] for p, (r, c) in zip(padded, shifts.tolist())]
    )


def random_erase(
    images: torch.Tensor, generator: torch.Generator, rate: float = 0.5, max_size: int | None = None
) -> torch.Tensor:
    """Zero a random square in each image with probability ``rate`` (augmentation, Zhong et al. 2017).

    Sides are drawn from 1 to ``max_size`` (default: half the image). The image
    counterpart of :func:`chemexplain.text.word_dropout`: a classifier that has
    seen its evidence erased is unsure on an emptied image, so a mask cannot
    explain a class by keeping nothing. Its effect on the planted-patch mask is
    measured by ``scripts/demo_image.py``: "Image adapter" in benchmarks/README.md.
    """
    batch, _, height, width = images.shape
    max_size = max_size or min(height, width) // 2
    erased = images.clone()
    draws = torch.rand(batch, generator=generator)
    sides = torch.randint(1, max_size + 1, (batch,), generator=generator)
    for i in torch.nonzero(draws < rate).flatten().tolist():
        side = int(sides[i])
        row = int(torch.randint(0, height - side + 1, (1,), generator=generator))
        col = int(torch.randint(0, width - side + 1, (1,), generator=generator))
        erased[i, :, row : row + side, col : col + side] = 0
    return erased


# ---------------------------------------------------------------------- CIFAR-10
class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds dicts, lists, bytes and numpy arrays only; any other global is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 store bytes
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise DataFormatError(
                f"refusing to load {module}.{name} from a CIFAR-10 pickle: only numpy arrays "
                "are allowed (the file may be tampered with; use the binary version)"
            )
        return super().find_class(module, name)


def _binary_batch(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    record = 1 + 3 * 32 * 32
    if len(raw) % record:
        raise DataFormatError(f"a CIFAR-10 binary batch must be a multiple of {record} bytes")
    table = np.frombuffer(raw, dtype=np.uint8).reshape(-1, record)
    return table[:, 1:].reshape(-1, 3, 32, 32), table[:, 0].astype(np.int64)


def _python_batch(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
    data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return data, np.asarray(batch[b"labels"], dtype=np.int64)


_BATCH_NAMES = {
    "train": [f"data_batch_{i}" for i in range(1, 6)],
    "test": ["test_batch"],
}


def _read_members(source: Path) -> dict[str, bytes]:
    """{file name: bytes} of the batch files in a CIFAR-10 folder or archive."""
    wanted = {name for names in _BATCH_NAMES.values() for name in names}
    wanted |= {name + ".bin" for name in wanted}
    found = {}
    if source.is_dir():
        for path in source.rglob("*"):
            if path.name in wanted:
                found[path.name] = path.read_bytes()
    else:
        with tarfile.open(source) as archive:
            for member in archive.getmembers():
                name = Path(member.name).name
                if member.isfile() and name in wanted:
                    found[name] = archive.extractfile(member).read()
    return found


_CIFAR_NAMES = (
    "cifar-10-batches-bin",
    "cifar-10-batches-py",
    "cifar-10-binary.tar.gz",
    "cifar-10-python.tar.gz",
)


def load_cifar10(
    path: str | os.PathLike | None = None, split: str = "train"
) -> tuple[torch.Tensor, torch.Tensor]:
    """A local CIFAR-10 copy: images (N, 3, 32, 32) float in [0, 1], labels (N,).

    ``path`` is a ``cifar-10-batches-bin`` / ``cifar-10-batches-py`` folder or
    the ``cifar-10-binary.tar.gz`` / ``cifar-10-python.tar.gz`` archive;
    without it, ``$CHEMEXPLAIN_DATA`` and the user cache are searched for those
    names. ``split`` is ``"train"`` (50,000 images) or ``"test"`` (10,000).
    Class names are :data:`CIFAR10_CLASSES`.
    """
    if split not in _BATCH_NAMES:
        raise ValueError("split must be 'train' or 'test'")
    source = find_local_copy(
        path,
        _CIFAR_NAMES,
        "CIFAR-10",
        "download the binary or python version from https://www.cs.toronto.edu/~kriz/cifar.html "
        "and pass its folder or archive as path=, or put it in $CHEMEXPLAIN_DATA "
        "(chemexplain never downloads CIFAR-10 itself)",
    )
    members = _read_members(source)
    images, labels = [], []
    for name in _BATCH_NAMES[split]:
        if name + ".bin" in members:
            x, y = _binary_batch(members[name + ".bin"])
        elif name in members:
            x, y = _python_batch(members[name])
        else:
            raise DataFormatError(f"{source} has no CIFAR-10 batch {name!r} (split {split!r})")
        images.append(x)
        labels.append(y)
    x = torch.from_numpy(np.concatenate(images)).float() / 255.0
    return x, torch.from_numpy(np.concatenate(labels))
