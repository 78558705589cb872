import torch

from transferlab.models.similarity import SimilarityClassifier, mean_pool


def test_mean_pool_ignores_padding():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.equal(mean_pool(hidden, mask), torch.tensor([[2.0, 3.0]]))


def test_padded_text_embeds_like_unpadded():
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32))
    classifier = SimilarityClassifier(encoder).eval()
    alone = classifier.embed(torch.tensor([[2, 7, 9, 3]]), torch.tensor([[1, 1, 1, 1]]))
    padded = classifier.embed(torch.tensor([[2, 7, 9, 3, 0, 0]]), torch.tensor([[1, 1, 1, 1, 0, 0]]))
    assert torch.allclose(alone, padded, atol=1e-5)
    assert torch.allclose(alone.norm(dim=-1), torch.ones(1))


def test_logits_are_scaled_cosine_similarities():
    from transformers import BertConfig, BertModel

    encoder = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32))
    classifier = SimilarityClassifier(encoder, temperature=0.5).eval()
    input_ids, mask = torch.tensor([[2, 7, 9], [4, 5, 6]]), torch.ones(2, 3, dtype=torch.long)
    embeddings = classifier.embed(input_ids, mask)
    classifier.set_label_vectors(3 * embeddings.flip(0), {})
    output = classifier(input_ids=input_ids, attention_mask=mask, labels=torch.tensor([1, 0]))
    assert torch.allclose(output.logits, embeddings @ embeddings.flip(0).T / 0.5, atol=1e-5)
    assert output.logits.argmax(dim=-1).tolist() == [1, 0]
    assert not any(p.requires_grad for p in classifier.parameters())
