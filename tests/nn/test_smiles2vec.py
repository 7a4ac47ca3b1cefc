import pytest
import torch

from chemexplain.nn import Smiles2Vec, Smiles2VecConfig


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_to_200_characters_never_changes_a_prediction(bidirectional):
    torch.manual_seed(0)
    model = Smiles2Vec(Smiles2VecConfig(vocab_size=30, bidirectional=bidirectional)).eval()
    sequences = [torch.randint(2, 30, (n,)) for n in (7, 23, 1, 64)]
    padded = torch.zeros(len(sequences), 200, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        padded[row, : len(sequence)] = sequence
    lengths = torch.tensor([len(s) for s in sequences])
    with torch.no_grad():
        batch = model(padded, lengths)
        # garbage (non-zero ids) beyond the length must not matter either
        noisy = padded.clone()
        for row, n in enumerate(lengths):
            noisy[row, n:] = torch.randint(2, 30, (200 - n,))
        batch_noisy = model(noisy, lengths)
        for row, sequence in enumerate(sequences):
            alone = model(sequence.unsqueeze(0), lengths[row : row + 1])
            assert alone.item() == pytest.approx(batch[row].item(), abs=1e-5)
            assert alone.item() == pytest.approx(batch_noisy[row].item(), abs=1e-5)


def test_embed_and_forward_embedded_compose_to_forward():
    torch.manual_seed(1)
    model = Smiles2Vec(Smiles2VecConfig(vocab_size=12)).eval()
    ids = torch.tensor([[3, 4, 5, 0], [6, 7, 8, 9]])
    lengths = torch.tensor([3, 4])
    embedded = model.embed(ids)
    assert embedded.shape == (2, 4, 50)
    assert torch.all(embedded[0, 3] == 0)  # padding embeds to zeros
    assert torch.allclose(model.forward_embedded(embedded, lengths), model(ids, lengths))
    # the explainer of the mask issue needs gradients with respect to the embedding
    embedded = embedded.detach().requires_grad_()
    model.forward_embedded(embedded, lengths).sum().backward()
    assert embedded.grad.abs()[:, :3].sum() > 0
    assert torch.all(embedded.grad[0, 3] == 0)


def test_multi_output_head_shape():
    model = Smiles2Vec(Smiles2VecConfig(vocab_size=5, gru_sizes=(8,), n_outputs=3))
    assert model(torch.ones(4, 6, dtype=torch.long), torch.full((4,), 6)).shape == (4, 3)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("grad", [False, True])
def test_an_empty_input_gives_the_output_of_the_initial_state(bidirectional, grad):
    """Length 0 (the delete game's empty coalition): head(0), whatever the padding
    holds, on the fast inference path and on the packed one alike."""
    torch.manual_seed(2)
    model = Smiles2Vec(Smiles2VecConfig(vocab_size=12, bidirectional=bidirectional)).eval()
    ids = torch.tensor([[3, 4, 5, 6], [7, 8, 9, 10]])
    with torch.set_grad_enabled(grad):
        out = model(ids, torch.tensor([0, 4]))
        full = model(ids[1:], torch.tensor([4]))
    assert out[0].item() == pytest.approx(model.head.bias.item(), abs=1e-7)
    assert out[1].item() == pytest.approx(full.item(), abs=1e-6)
