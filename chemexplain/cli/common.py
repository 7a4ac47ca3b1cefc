"""Options and rules shared by the subcommands (imports nothing heavy: ``--help`` stays fast).

Exit status, the same for ``predict``, ``explain`` and ``score``: 0 when the run
completed, even if some rows are error rows (each says why on its own row);
with ``--fail-on-error``, 1 when any row failed. A user error (bad option,
missing file, unreadable model) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

__all__ = [
    "ATTRIBUTION_METHODS",
    "SHARED_FLAGS",
    "add_flag",
    "add_k",
    "add_output",
    "add_seed",
    "add_explain_options",
    "add_fit_options",
    "add_method",
    "add_test_augment",
    "device_option",
    "explain_options",
    "fit_options",
    "load_model_option",
    "non_negative_int",
    "positive_int",
    "row_exit_status",
]


def row_exit_status(args: argparse.Namespace, n_failed: int) -> int:
    """0, or 1 when ``--fail-on-error`` was given and ``n_failed`` rows failed."""
    return 1 if n_failed and args.fail_on_error else 0


def _int_at_least(low: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, got {value}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


#: argparse types: an integer >= 0, an integer >= 1.
non_negative_int, positive_int = _int_at_least(0), _int_at_least(1)


#: The names of ``chemexplain.attribution.METHODS``, written out so that ``--help`` needs no
#: torch (tests/cli/test_cli.py checks that the two agree).
ATTRIBUTION_METHODS = (
    "gradient_x_input",
    "integrated_gradients",
    "kernel_shap",
    "lime",
    "lrp_alpha2_beta1",
    "lrp_alpha_beta",
    "lrp_epsilon",
    "occlusion",
    "random",
    "saliency",
    "smoothgrad",
    "vargrad",
)


def add_method(parser: argparse.ArgumentParser) -> None:
    """``--method`` and ``--spellings``: which explanation a chemist sees."""
    parser.add_argument(
        "--method",
        default=None,
        choices=["mask", "shapley", *ATTRIBUTION_METHODS],
        metavar="NAME",
        help="the explanation (default: 'shapley' when the model folder has an amortized "
        "explainer, else 'mask' when it has a mask, else 'occlusion'): 'mask' (the "
        "explanation mask), 'shapley' (the "
        "amortized Shapley explainer in the model folder's shapley/, from 'chemexplain "
        "fit-explainer') or an attribution method (" + ", ".join(ATTRIBUTION_METHODS) + "); "
        "signed methods give each atom its contribution in the target's units, drawn blue "
        "(lowers) to red (raises)",
    )
    parser.add_argument(
        "--spellings",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="average an attribution method's atom values over N random SMILES spellings "
        "(default 0; about N+1 times slower)",
    )


def add_test_augment(parser: argparse.ArgumentParser, default: int | None) -> None:
    what = (
        "the model's own setting"
        if default is None
        else f"{default}: one spelling, RDKit's canonical SMILES for a model trained on random "
        "spellings (the bundled one), else the SMILES as given"
    )
    parser.add_argument(
        "--test-augment",
        type=non_negative_int,
        default=default,
        metavar="M",
        help=f"average each prediction over the SMILES and M random spellings of it, drawn "
        f"from a seed fixed per molecule, so a molecule's result never depends on its batch "
        f"(default {what}; about M+1 times slower)",
    )


def add_explain_options(parser: argparse.ArgumentParser) -> None:
    """The flags of ``explain`` and ``score`` that say how a molecule is explained:
    ``--standardize``, ``--method``, ``--spellings``, ``--strict`` and ``--test-augment``."""
    add_flag(
        parser,
        "--standardize",
        help="keep the largest fragment and neutralize charges (RDKit rdMolStandardize) first; "
        "atom indices then refer to the standardized SMILES, which is printed",
    )
    add_method(parser)
    add_flag(parser, "--strict")
    add_test_augment(parser, 0)


def explain_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of ``explain_batch`` / ``score_file`` that
    :func:`add_explain_options` reads."""
    return dict(
        standardize=args.standardize,
        method=args.method,
        spellings=args.spellings,
        n_test_augment=args.test_augment,
        on_unknown="error" if args.strict else "strip",
    )


def note_fallback_method(args: argparse.Namespace) -> None:
    """One line on stderr (not with ``--quiet``) when no ``--method`` was named and the
    model has no trained explainer, so that the fallback (occlusion, one spelling) is no
    surprise: its values follow how each SMILES is written (the six carbons of benzene
    get different signs)."""
    from chemexplain.service import FALLBACK_METHOD, default_method

    if args.quiet or args.method or args.spellings:
        return
    if default_method(args.model) != FALLBACK_METHOD:
        return
    print(
        f"chemexplain {args.command}: note: this model has no trained explainer, so atoms "
        f"get {FALLBACK_METHOD} on one spelling, whose values follow how the SMILES is "
        "written; --spellings 10 averages them over spellings, and 'chemexplain "
        "fit-explainer' trains the signed explainer that needs neither",
        file=sys.stderr,
    )


# ------------------------------------------------------------ the flags every subcommand shares
#: Flags that several subcommands take, by name: argparse's keyword arguments. A
#: subcommand adds one with :func:`add_flag`, which may give it its own ``help``.
SHARED_FLAGS: dict[str, dict] = {
    # the model a subcommand reads (``args.model``; load it with load_model_option)
    "--model": {
        "metavar": "DIR",
        "help": "model folder: a model from 'chemexplain train', or model/ beside mask/ and/or "
        "shapley/ (default: the bundled ESOL model)",
    },
    # where a training subcommand trains (``args.device``; check it with device_option)
    "--device": {
        "default": "cpu",
        "help": "torch device to train on: 'cpu' (default), 'cuda', 'cuda:1', ... The files it "
        "writes load on any device, the CPU included",
    },
    # torch CPU threads of the whole command
    "--threads": {
        "type": int,
        "default": None,
        "help": "torch CPU threads (default: the number of CPU cores)",
    },
    # read with row_exit_status
    "--fail-on-error": {
        "action": "store_true",
        "help": "exit with status 1 when any row failed (default: 0 once the run completes; "
        "failed rows carry their reason)",
    },
    # refuse what the model never saw instead of reading it stereo-free (on_unknown="error")
    "--strict": {
        "action": "store_true",
        "help": "refuse a SMILES with stereo marks (@, /, \\) the model never saw in training; "
        "by default it is scored from its stereo-free form, with a warning, and isotope labels "
        "and explicit [H] atoms are read as plain atoms",
    },
    # a salt's largest fragment, neutralized, is what is read (``args.standardize``)
    "--standardize": {
        "action": "store_true",
        "help": "keep the largest fragment and neutralize charges (RDKit rdMolStandardize) "
        "first; the standardized_smiles column holds what was predicted",
    },
    # no progress output (``args.quiet``)
    "--quiet": {"action": "store_true", "help": "no progress bar"},
}


def add_flag(parser: argparse.ArgumentParser, name: str, **overrides) -> None:
    """Add the shared flag ``name`` (a key of :data:`SHARED_FLAGS`) to ``parser``;
    ``overrides`` replace its keyword arguments (e.g. a subcommand's own ``help``)."""
    parser.add_argument(name, **{**SHARED_FLAGS[name], **overrides})


class _Renamed(argparse.Action):
    """Store the value; an old spelling still works for one release, with a message."""

    def __init__(self, option_strings, dest, old=(), **kwargs):
        self.old = tuple(old)
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string in self.old:
            new = "/".join(o for o in self.option_strings if o not in self.old)
            print(
                f"chemexplain: {option_string} is deprecated and goes in the next release; "
                f"use {new}",
                file=sys.stderr,
            )
        setattr(namespace, self.dest, values)


def add_fit_options(parser: argparse.ArgumentParser, writes: str, seeds: str) -> None:
    """The options of an explainer's training (``fit-mask``, ``fit-explainer``):
    ``--model``, ``-o`` (the folder it ``writes``), ``--data``/``--smiles-col``,
    ``--epochs``, ``--seed`` (of what it ``seeds``) and ``--quiet``; read them
    with :func:`fit_options` and ``args.data``."""
    add_flag(parser, "--model")
    add_output(parser, f"directory to write the {writes} into", required=True, old=("--out",))
    parser.add_argument(
        "--data", help="CSV or SDF of molecules to train on instead of the model's own"
    )
    parser.add_argument(
        "--smiles-col", default="smiles", help="SMILES column of --data (default: smiles)"
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=40, help="maximum epochs (default 40)"
    )
    add_seed(parser, seeds)
    add_flag(parser, "--device")
    add_flag(parser, "--quiet", help="no per-epoch lines")


def fit_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of an explainer's ``__init__`` that ``--epochs``, ``--seed``
    and ``--quiet`` give (see :func:`add_fit_options`)."""
    return dict(max_epochs=args.epochs, random_state=args.seed, verbose=not args.quiet)


def load_model_option(args: argparse.Namespace):
    """The model that ``--model`` names, loaded; the bundled ESOL model when it is not given."""
    from chemexplain.models.estimator import load_model
    from chemexplain.models.pretrained import PRETRAINED_DIR

    device = device_option(args) if hasattr(args, "device") else "cpu"
    return load_model(args.model or PRETRAINED_DIR / "model", device=device)


def device_option(args: argparse.Namespace) -> str:
    """``--device``, checked: a torch device name that this machine has (else one line, exit 2)."""
    import torch

    from chemexplain.errors import DataFormatError

    name = args.device
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise DataFormatError(
            f"--device {name!r} is no torch device: use 'cpu', 'cuda' or 'cuda:N'"
        ) from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if not count:
            raise DataFormatError(
                f"--device {name}: this torch sees no CUDA GPU (a CPU build of torch, or no "
                "driver); leave --device out to train on the CPU"
            )
        if device.index is not None and device.index >= count:
            raise DataFormatError(f"--device {name}: this machine has {count} CUDA GPU(s)")
    elif device.type != "cpu":
        raise DataFormatError(f"--device {name}: only 'cpu' and 'cuda' devices are supported")
    return name


def add_output(
    parser: argparse.ArgumentParser, what: str, *, required: bool = False, old: tuple = ()
) -> None:
    """``-o/--output``: where the subcommand writes ``what`` (``args.output``)."""
    parser.add_argument(
        "-o",
        "--output",
        *old,
        dest="output",
        required=required,
        action=_Renamed,
        old=old,
        metavar="PATH",
        help=what + (f" ({', '.join(old)}: the old spelling, deprecated)" if old else ""),
    )


def add_k(parser: argparse.ArgumentParser, what: str, *, old: tuple = ()) -> None:
    """``-k``: how many top atoms (``args.k``, default 3)."""
    parser.add_argument(
        "-k",
        *old,
        dest="k",
        type=positive_int,
        default=3,
        action=_Renamed,
        old=old,
        help=f"{what} (default 3)" + (f"; {', '.join(old)} is deprecated" if old else ""),
    )


def add_seed(parser: argparse.ArgumentParser, what: str) -> None:
    """``--seed``: the seed of every random choice of the subcommand (``args.seed``, default 0)."""
    parser.add_argument("--seed", type=int, default=0, help=f"seed of {what} (default 0)")
