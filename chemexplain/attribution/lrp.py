"""Layer-wise relevance propagation (epsilon rule) through SMILES2vec, GRUs included.

Rules, layer by layer:

- linear maps (head, GRU input and hidden maps, Conv1d): the LRP-0 / z-rule
  ``R_i = sum_j x_i w_ij / z_j R_j``; biases absorb their share;
- ReLU and tanh: relevance passes through unchanged (``R_in = R_out``), with the
  epsilon stabilizer in the tanh's ratio ``tanh(a) / (a + eps sign(a))``;
- GRU gates (Arras et al. 2017, "signal-take-all", applied to GRUs as in their
  LSTM rule): in ``h_t = (1 - z) n + z h_{t-1}`` and ``n = tanh(W x + r (U h + b))``
  the gates ``z`` and ``r`` are treated as constants, so all relevance flows
  through the signal paths ``n`` and ``h_{t-1}``, none through the gates.

It is computed as gradient x input of a re-implemented forward pass in which
the gates are detached and each tanh's gradient is replaced by
``tanh(a) / (a + eps sign(a))`` (Ancona et al. 2018 show epsilon-LRP equals
this modified gradient x input for such networks). With zero biases and small
``eps`` the relevances sum to the output (conservation; tested).

Not implemented: the alpha-beta rule. Arras et al. define their gated rule
for epsilon-type propagation only, and alpha-beta on the convolution and
linear maps alone (with the GRU by the epsilon rule) was not built for lack of
time; it is reported as missing rather than approximated. Bidirectional GRUs
are not supported (their backward direction reads the padding).
"""

from __future__ import annotations

import torch

from chemexplain.attribution.base import TokenAttribution
from chemexplain.nn.smiles2vec import length_mask

__all__ = ["LRPEpsilon"]


class _EpsilonTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, eps):
        y = torch.tanh(a)
        ctx.save_for_backward(a, y)
        ctx.eps = eps
        return y

    @staticmethod
    def backward(ctx, grad):
        a, y = ctx.saved_tensors
        denominator = a + ctx.eps * torch.sign(a)
        ratio = torch.where(denominator.abs() > 1e-12, y / denominator, torch.ones_like(a))
        return grad * ratio, None


def _gru_layer(gru: torch.nn.GRU, x: torch.Tensor, eps: float) -> torch.Tensor:
    """(B, L, I) -> (B, L, H) with detached gates and an epsilon-LRP tanh."""
    hidden = gru.hidden_size
    w_ih, w_hh, b_ih, b_hh = gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0
    gi_all = x @ w_ih.T + b_ih  # (B, L, 3H): r, z, n parts
    h = x.new_zeros(x.shape[0], hidden)
    states = []
    for t in range(x.shape[1]):
        gi = gi_all[:, t]
        gh = h @ w_hh.T + b_hh
        r = torch.sigmoid(gi[:, :hidden] + gh[:, :hidden]).detach()
        z = torch.sigmoid(gi[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden]).detach()
        n = _EpsilonTanh.apply(gi[:, 2 * hidden :] + r * gh[:, 2 * hidden :], eps)
        h = (1 - z) * n + z * h
        states.append(h)
    return torch.stack(states, dim=1)


def lrp_forward(model, embedded: torch.Tensor, lengths: torch.Tensor, eps: float) -> torch.Tensor:
    """SMILES2vec's output (B,) from ``embedded``, built so that grad x input is LRP-epsilon."""
    if model.config.bidirectional:
        raise NotImplementedError("LRP here supports forward (unidirectional) GRUs only")
    keep = length_mask(lengths.to(embedded.device), embedded.shape[1]).unsqueeze(-1)
    x = embedded * keep.to(embedded.dtype)
    x = torch.relu(model.conv(x.transpose(1, 2))).transpose(1, 2)  # ReLU: plain gradient = LRP
    for gru in model.grus:
        x = _gru_layer(gru, x, eps)
    last = x[torch.arange(x.shape[0], device=x.device), lengths.to(x.device) - 1]
    output = model.head(last)
    return output.squeeze(-1) if model.config.n_outputs == 1 else output


class LRPEpsilon(TokenAttribution):
    """LRP-epsilon with the Arras et al. (2017) gate rule; relevance per input dimension."""

    name = "lrp_epsilon"

    def __init__(self, model, eps: float = 1e-2):
        super().__init__(model)
        self.eps = eps

    def attribute(self, inputs, lengths, baselines=None, target=None, **knobs):
        inputs = inputs.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            output = lrp_forward(self.model, inputs, lengths, self.eps)
            if output.dim() > 1:
                output = output[:, 0 if target is None else target]
            (gradient,) = torch.autograd.grad(output.sum(), inputs)
        return self._zero_padding((gradient * inputs).detach(), lengths)
