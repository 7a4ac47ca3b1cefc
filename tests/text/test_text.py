"""Text adapter: words, the synthetic planted corpus, IMDB loading, the biGRU classifier and its mask."""

from __future__ import annotations

import tarfile

import pytest
import torch

from chemexplain.errors import DatasetNotFoundError
from chemexplain.mask import MaskExplainer
from chemexplain.metrics import accuracy
from chemexplain.nn.training import fit_classifier, make_batches, predict_logits
from chemexplain.text import (
    NEGATIVE_WORDS,
    POSITIVE_WORDS,
    BiGRUClassifier,
    WordMaskNet,
    encode_texts,
    load_imdb,
    synthetic_reviews,
    text_mask_explainer,
    word_dropout,
    words,
)
from chemexplain.vocabulary import Vocabulary


def test_words_lowercase_and_drop_html_breaks():
    assert words("A <br />great FILM, isn't it?") == ["a", "great", "film", "isn't", "it"]


def test_encode_texts_pads_counts_and_marks_unknown_words():
    vocabulary = Vocabulary.from_sequences([["good", "film"], ["film"]])
    ids, lengths = encode_texts(["film good", "bad", "film film film"], vocabulary)
    assert lengths.tolist() == [2, 1, 3] and ids.shape == (3, 3)
    assert ids[0].tolist() == [vocabulary.index["film"], vocabulary.index["good"], 0]
    assert ids[1, 0] == vocabulary.unk_id and ids[1, 1:].tolist() == [0, 0]
    assert Vocabulary.from_sequences([["a", "a", "b", "c"]], max_size=1).tokens[2:] == ["a"]


def test_word_dropout_zeroes_about_the_rate_and_keeps_the_rest():
    ids = torch.arange(1, 10001).view(100, 100)
    dropped = word_dropout(ids, torch.Generator().manual_seed(0), rate=0.3)
    zero = dropped == 0
    assert 0.27 < float(zero.float().mean()) < 0.33
    assert torch.equal(dropped[~zero], ids[~zero])


def test_synthetic_reviews_hold_one_planted_word_that_decides_the_label():
    reviews = synthetic_reviews(200, random_state=4)
    for row in reviews.itertuples():
        tokens = row.text.split()
        assert tokens[row.position] == row.planted
        assert row.planted in (POSITIVE_WORDS if row.label else NEGATIVE_WORDS)
        sentiment = [t for t in tokens if t in POSITIVE_WORDS + NEGATIVE_WORDS]
        assert sentiment == [row.planted]
    assert 0.4 < reviews.label.mean() < 0.6


def _write_imdb(root):
    for split in ("train", "test"):
        for label, texts in (("pos", ["loved it", "great<br />fun"]), ("neg", ["awful"])):
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i, text in enumerate(texts):
                (folder / f"{i}_8.txt").write_text(f"{split} {text}")
    (root / "aclImdb" / "train" / "unsup").mkdir()
    (root / "aclImdb" / "train" / "unsup" / "0_0.txt").write_text("no label")


def test_load_imdb_from_folder_and_archive(tmp_path):
    _write_imdb(tmp_path)
    frame = load_imdb(tmp_path / "aclImdb", split="test")
    assert frame.label.tolist() == [0, 1, 1]
    assert frame.text.tolist() == ["test awful", "test loved it", "test great<br />fun"]
    archive = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "aclImdb", arcname="aclImdb")
    assert load_imdb(archive, split="train").equals(load_imdb(tmp_path / "aclImdb", "train"))


def test_load_imdb_missing_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMEXPLAIN_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DatasetNotFoundError, match="aclImdb_v1.tar.gz"):
        load_imdb()


def test_classifier_output_does_not_depend_on_padding():
    torch.manual_seed(0)
    model = BiGRUClassifier(30, embedding_dim=8, hidden=8, dense=8).eval()
    ids = torch.tensor([[5, 6, 7, 0, 0, 0], [3, 4, 5, 6, 7, 8]])
    batched = model(ids, torch.tensor([3, 6]))
    alone = model(ids[:1, :3], torch.tensor([3]))
    assert torch.allclose(batched[0], alone[0], atol=1e-6)


def test_entropy_penalty_is_the_masks_entropy():
    model = BiGRUClassifier(10, embedding_dim=4, hidden=4, dense=4)
    explainer = MaskExplainer(model, torch.nn.Identity(), entropy=1.0, l1=0.0, l2=0.0)
    peaked, flat = torch.tensor([[1.0, 0.0, 0.0, 0.0]]), torch.tensor([[0.5, 0.5, 0.5, 0.5]])
    batch = (torch.tensor([[1, 2, 3, 4]]), torch.tensor([4]), torch.tensor([0]))
    explainer.task = "multiclass"
    explainer.network = lambda embedded, lengths: peaked
    low = explainer._losses(batch)["entropy"]
    explainer.network = lambda embedded, lengths: flat
    high = explainer._losses(batch)["entropy"]
    assert float(low) == pytest.approx(0.0, abs=1e-6)
    assert float(high) == pytest.approx(torch.log(torch.tensor(4.0)).item(), rel=1e-5)


@pytest.fixture(scope="module")
def planted():
    """A small classifier and its word mask, trained on the synthetic corpus (seconds)."""
    reviews = synthetic_reviews(1200, max_words=16, random_state=0)
    vocabulary = Vocabulary.from_sequences(words(text) for text in reviews.text)
    ids, lengths = encode_texts(reviews.text, vocabulary)
    labels = torch.tensor(reviews.label.values)
    train = make_batches(ids[:1000], labels[:1000], lengths[:1000], batch_size=32)
    val = make_batches(ids[1000:1100], labels[1000:1100], lengths[1000:1100], batch_size=100)
    test = make_batches(ids[1100:], labels[1100:], lengths[1100:], batch_size=100)
    torch.manual_seed(0)
    model = BiGRUClassifier(len(vocabulary), embedding_dim=16, hidden=16, dense=16)
    fit_classifier(
        model, train, val, epochs=12, learning_rate=1e-2, augment=word_dropout, random_state=0
    )
    explainer = text_mask_explainer(
        model, hidden=16, dense=32, learning_rate=1e-2, max_epochs=10, verbose=False
    )
    explainer.fit(train, val)
    return model, explainer, test, reviews.iloc[1100:]


def test_text_mask_is_the_shared_mask_explainer(planted):
    model, explainer, test, _ = planted
    assert type(explainer) is MaskExplainer and isinstance(explainer.network, WordMaskNet)
    assert not any(key.startswith("_model") for key in explainer.network.state_dict())
    ids, lengths, _ = test[0]
    weights = explainer.explain(ids, lengths)
    assert weights.shape == ids.shape and float(weights.min()) >= 0 and float(weights.max()) <= 1
    padding = torch.arange(ids.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)
    assert (weights[padding] == 0).all()


def test_planted_word_is_in_the_top3_and_masked_accuracy_holds(planted):
    model, explainer, test, reviews = planted
    ids, lengths, labels = test[0]
    weights = explainer.explain(ids, lengths)
    top3 = weights.argsort(dim=1, descending=True)[:, :3]
    positions = torch.tensor(reviews.position.values).unsqueeze(1)
    hit = float((top3 == positions).any(1).float().mean())
    chance = float((3 / lengths.float()).mean())
    base = accuracy(*predict_logits(model, test))
    masked = float((explainer.predict_masked(ids, lengths).argmax(1) == labels).float().mean())
    assert base > 0.9 and hit > 0.8 > chance + 0.4
    assert masked >= base - 0.05
