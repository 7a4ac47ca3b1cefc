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

``LRPAlphaBeta`` (alpha = 1, beta = 0) and ``LRPAlpha2Beta1`` run an explicit
relevance pass instead: the same gate rule, with the alpha-beta rule at every
linear map and at the GRU's gated sum ``(1 - z) n + z h``. A neuron whose
contributions all have one sign passes all its relevance to them
(:func:`alpha_beta_weights`), so with zero biases the relevances sum to the
output (tested for alpha = 1, beta = 0). Bidirectional GRUs are not supported
(their backward direction reads the padding).
"""

from __future__ import annotations

import torch

from chemexplain.attribution.base import TokenAttribution
from chemexplain.nn.core import length_mask

__all__ = ["LRPEpsilon", "LRPAlphaBeta", "LRPAlpha2Beta1", "alpha_beta"]


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


def _gru_steps(gru: torch.nn.GRU, x: torch.Tensor, tanh=torch.tanh, constant_gates=False):
    """Run one forward GRU layer (B, L, I) step by step -> states (B, L, H) and, per step,
    (h_prev, r, z, n) for a relevance pass. PyTorch's equations and gate order (r, z, n);
    ``constant_gates`` detaches r and z, ``tanh`` may be a relevance-aware replacement."""
    hidden = gru.hidden_size
    w_ih, w_hh, b_ih, b_hh = gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0
    gi_all = x @ w_ih.T + b_ih  # (B, L, 3H): r, z, n parts
    h = x.new_zeros(x.shape[0], hidden)
    record, states = [], []
    for t in range(x.shape[1]):
        gi = gi_all[:, t]
        gh = h @ w_hh.T + b_hh
        r = torch.sigmoid(gi[:, :hidden] + gh[:, :hidden])
        z = torch.sigmoid(gi[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden])
        if constant_gates:
            r, z = r.detach(), z.detach()
        n = tanh(gi[:, 2 * hidden :] + r * gh[:, 2 * hidden :])
        record.append((h, r, z, n))
        h = (1 - z) * n + z * h
        states.append(h)
    return torch.stack(states, dim=1), record


def lrp_forward(model, embedded: torch.Tensor, lengths: torch.Tensor, eps: float) -> torch.Tensor:
    """SMILES2vec's output (B,) from ``embedded``, built so that grad x input is LRP-epsilon."""
    if model.config.bidirectional:
        raise NotImplementedError("LRP here supports forward (unidirectional) GRUs only")
    keep = length_mask(lengths.to(embedded.device), embedded.shape[1]).unsqueeze(-1)
    x = embedded * keep.to(embedded.dtype)
    x = torch.relu(model.conv(x.transpose(1, 2))).transpose(1, 2)  # ReLU: plain gradient = LRP
    for gru in model.grus:
        x, _ = _gru_steps(gru, x, tanh=lambda a: _EpsilonTanh.apply(a, eps), constant_gates=True)
    last = x[torch.arange(x.shape[0], device=x.device), lengths.to(x.device) - 1]
    output = model.head(last)
    return output.squeeze(-1) if model.config.n_outputs == 1 else output


class LRPEpsilon(TokenAttribution):
    """LRP-epsilon with the Arras et al. (2017) gate rule; relevance per input dimension."""

    name = "lrp_epsilon"

    def __init__(self, model, eps: float = 1e-2):
        super().__init__(model)
        self.eps = eps

    def attribute(self, inputs, lengths=None, baselines=None, target=None, **knobs):
        self._need_lengths(lengths)
        inputs = inputs.detach().clone().requires_grad_(True)
        with torch.enable_grad():
            output = lrp_forward(self.model, inputs, lengths, self.eps)
            if output.dim() > 1:
                output = output[:, 0 if target is None else target]
            (gradient,) = torch.autograd.grad(output.sum(), inputs)
        return self._zero_padding((gradient * inputs).detach(), lengths)


def alpha_beta_weights(z_pos: torch.Tensor, z_neg: torch.Tensor, alpha: float, beta: float):
    """Per output neuron, the (alpha, beta) the αβ rule actually uses; shapes of ``z_pos``.

    Where a neuron has no negative contributions (``z- = 0``, e.g. every
    neuron of an average pooling over non-negative inputs) all its relevance
    goes to the positive ones, (1, 0); where it has no positive ones, all to
    the negative ones, (0, -1). Otherwise α2β1 would double the relevance at
    such a neuron instead of conserving it.
    """
    no_neg, no_pos = z_neg == 0, z_pos == 0
    alphas = torch.where(no_neg, 1.0, torch.where(no_pos, 0.0, alpha))
    betas = torch.where(no_neg, 0.0, torch.where(no_pos, -1.0, beta))
    return alphas, betas


def alpha_beta(contributions: torch.Tensor, relevance: torch.Tensor, alpha: float, beta: float):
    """One LRP-alpha-beta step: contributions (..., I, J) = x_i w_ij, relevance (..., J) -> (..., I).

    ``R_i = sum_j (alpha c+_ij / z+_j - beta c-_ij / z-_j) R_j`` with ``z+_j = sum_i c+_ij``
    and ``z-_j = sum_i c-_ij``; biases are left out of the denominators, and a
    neuron with contributions of one sign only passes all its relevance to
    them (:func:`alpha_beta_weights`).
    """
    positive, negative = contributions.clamp(min=0), contributions.clamp(max=0)
    z_pos, z_neg = positive.sum(-2, keepdim=True), negative.sum(-2, keepdim=True)
    alphas, betas = alpha_beta_weights(z_pos, z_neg, alpha, beta)
    r = relevance.unsqueeze(-2)
    share_pos = torch.where(z_pos > 0, alphas * r / z_pos.clamp(min=1e-30), torch.zeros_like(r))
    share_neg = torch.where(z_neg < 0, betas * r / z_neg.clamp(max=-1e-30), torch.zeros_like(r))
    return (positive * share_pos - negative * share_neg).sum(-1)


def _gru_relevance(gru, x, record, relevance_out, alpha, beta):
    """Relevance of the layer's outputs (B, L, H) -> relevance of its inputs (B, L, I)."""
    hidden = gru.hidden_size
    w_in = gru.weight_ih_l0[2 * hidden :]  # (H, I)
    w_hn = gru.weight_hh_l0[2 * hidden :]  # (H, H)
    relevance_in = torch.zeros_like(x)
    carried = torch.zeros_like(relevance_out[:, 0])
    for t in range(x.shape[1] - 1, -1, -1):
        h_prev, r, z, n = record[t]
        r_h = carried + relevance_out[:, t]
        # h_t = (1 - z) n + z h_prev, gates constant: two inputs per unit
        pair = torch.stack([(1 - z) * n, z * h_prev], dim=-1).unsqueeze(-2)  # (B, H, 1, 2)
        split = alpha_beta(pair.transpose(-1, -2), r_h.unsqueeze(-1), alpha, beta)  # (B, H, 2)
        r_n, r_prev = split[..., 0], split[..., 1]
        # n = tanh(a), relevance passes; a = W_in x + r (W_hn h_prev): one linear map over [x, h]
        from_x = x[:, t].unsqueeze(-1) * w_in.T  # (B, I, H)
        from_h = h_prev.unsqueeze(-1) * w_hn.T * r.unsqueeze(1)  # (B, H, H)
        both = alpha_beta(torch.cat([from_x, from_h], dim=1), r_n, alpha, beta)
        relevance_in[:, t] = both[:, : x.shape[2]]
        carried = r_prev + both[:, x.shape[2] :]
    return relevance_in


def lrp_alpha_beta(model, embedded, lengths, alpha: float, beta: float) -> torch.Tensor:
    """Relevance (B, L, E) of ``embedded`` for SMILES2vec's output by the alpha-beta rule."""
    if model.config.bidirectional:
        raise NotImplementedError("LRP here supports forward (unidirectional) GRUs only")
    with torch.no_grad():
        lengths = lengths.to(embedded.device)
        keep = length_mask(lengths, embedded.shape[1]).unsqueeze(-1).to(embedded.dtype)
        x0 = embedded * keep
        conv = model.conv
        pad = conv.padding[0]
        x_pad = torch.nn.functional.pad(x0.transpose(1, 2), (pad, pad))  # (B, E, L + 2p)
        conv_out = torch.relu(conv(x0.transpose(1, 2))).transpose(1, 2)  # (B, L, C)
        layers, inputs = [], conv_out
        for gru in model.grus:
            outputs, record = _gru_steps(gru, inputs)
            layers.append((gru, inputs, record))
            inputs = outputs
        rows = torch.arange(inputs.shape[0], device=inputs.device)
        last = inputs[rows, lengths - 1]  # (B, H)
        head_w = model.head.weight[0]  # (H,)
        output = model.head(last)[:, 0]
        relevance = torch.zeros_like(inputs)
        relevance[rows, lengths - 1] = alpha_beta(
            (last * head_w).unsqueeze(-1), output.unsqueeze(-1), alpha, beta
        )
        for gru, layer_in, record in reversed(layers):
            relevance = _gru_relevance(gru, layer_in, record, relevance, alpha, beta)
        # ReLU passes relevance; the convolution is a linear map over each window
        kernel = conv.kernel_size[0]
        windows = x_pad.unfold(2, kernel, 1)  # (B, E, L, K)
        weight = conv.weight  # (C, E, K)
        contributions = torch.einsum("belk,cek->blekc", windows, weight)
        b, length, e, k, c = contributions.shape
        per_window = alpha_beta(contributions.reshape(b, length, e * k, c), relevance, alpha, beta)
        per_window = per_window.reshape(b, length, e, k)
        out = torch.zeros(b, length + 2 * pad, e, dtype=embedded.dtype, device=embedded.device)
        for j in range(k):
            out[:, j : j + length] += per_window[..., j]
        return out[:, pad : pad + length] * keep


class LRPAlphaBeta(TokenAttribution):
    """LRP-alpha-beta (alpha - beta = 1) through conv, GRUs (gates constant) and head;
    with ``lengths=None``, through a residual image CNN (:mod:`~chemexplain.attribution.lrp_cnn`).

    Designed for ReLU networks, applied here to the tanh GRU with the gates held
    constant. A unit whose contributions all have one sign passes all its relevance
    to them, so nothing is dropped or doubled; biases are left out of the
    denominators, so totals equal the output only when the biases are zero.
    """

    name, fixed_size_inputs = "lrp_alpha_beta", True

    def __init__(self, model, alpha: float = 1.0, beta: float = 0.0):
        if abs(alpha - beta - 1.0) > 1e-9:
            raise ValueError("the alpha-beta rule needs alpha - beta = 1")
        super().__init__(model)
        self.alpha, self.beta = alpha, beta

    def attribute(self, inputs, lengths=None, baselines=None, target=None, **knobs):
        if lengths is None:  # a fixed-size input: an image through a residual CNN
            from chemexplain.attribution.lrp_cnn import lrp_alpha_beta_cnn

            if target is None:
                raise ValueError("LRP-αβ on a classifier needs the target class")
            return lrp_alpha_beta_cnn(self.model, inputs.detach(), target, self.alpha, self.beta)
        return lrp_alpha_beta(self.model, inputs.detach(), lengths, self.alpha, self.beta)


class LRPAlpha2Beta1(LRPAlphaBeta):
    name = "lrp_alpha2_beta1"

    def __init__(self, model):
        super().__init__(model, alpha=2.0, beta=1.0)
