"""The speed paths give the same numbers as transformers (the independent reference)."""
import torch


def test_unpadded_batch_skips_the_mask_and_matches_transformers(minilm, minilm_dir, seed):
    """No padding: bertbook drops the all-ones mask (less work); the result must not change."""
    from transformers import BertModel as HFBertModel
    ref = HFBertModel.from_pretrained(str(minilm_dir), attn_implementation="eager").eval()
    ids = torch.randint(1000, 30000, (2, 9))
    ones = torch.ones_like(ids)
    with torch.no_grad():
        expected = ref(input_ids=ids, attention_mask=ones).last_hidden_state
        for mask in (ones, None):
            got = minilm(ids, attention_mask=mask)
            assert (got.last_hidden_state - expected).abs().max() <= 1e-5
            written_out = minilm(ids, attention_mask=mask, output_attentions=True)
            assert (written_out.last_hidden_state - expected).abs().max() <= 1e-5
