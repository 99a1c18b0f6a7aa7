"""Lesson 10's quoted numbers, each read from the printed table of the cell that plots it
(those tables come from data/results/lesson10_probes.json, written by benchmarks/probing_sweep.py).
Literature figures the prose cites (the 0.797-0.799 of Hewitt & Manning's plotting script, the Penn Treebank's
40,000 sentences, the ELMo figures of Hewitt & Liang's plotting script), the data sizes (500 sentences, 1,000
indexed ones) and the probe and model sizes are not outputs and are not listed."""
from prose_numbers import Quote, output_value

L10 = "notebooks/10_what_bert_knows.ipynb"


def out(cell, pattern):
    return output_value(L10, cell, pattern)


QUOTES = [
    Quote(L10, '**MiniLM** reads parts of speech best in its middle layers: {m_pos2:.3f} at layer 2 and {m_pos3:.3f} at layer 3, against {m_pos0:.3f} from the embeddings (layer 0) and {m_pos6:.3f} at its last layer, the one the sentence embedding is pooled from.',
          m_pos2=out('l10-pos-figure', 'minilm pretrained layer 2: .*?POS (-?[\\d.]+)'), m_pos3=out('l10-pos-figure', 'minilm pretrained layer 3: .*?POS (-?[\\d.]+)'), m_pos0=out('l10-pos-figure', 'minilm pretrained layer 0: .*?POS (-?[\\d.]+)'), m_pos6=out('l10-pos-figure', 'minilm pretrained layer 6: .*?POS (-?[\\d.]+)')),
    Quote(L10, "The lookup table that knows each word's most frequent tag in the 500 fitting sentences gets {majority:.3f} (a word it never saw gets `NOUN`).",
          majority=out('l10-pos-figure', 'most frequent tag per word: ([\\d.]+)')),
    Quote(L10, '**With random weights** the same architecture gives {r_pos0:.3f} at layer 0 and {r_pos6:.3f} at layer 6, whatever the layer: the spread between seeds is tiny and nothing is gained by depth.',
          r_pos0=out('l10-pos-figure', 'minilm random layer 0: .*?POS (-?[\\d.]+)'), r_pos6=out('l10-pos-figure', 'minilm random layer 6: .*?POS (-?[\\d.]+)')),
    Quote(L10, 'MiniLM {m_sel3:.3f} at layer 3, its random twin {r_sel3:.3f}.',
          m_sel3=out('l10-pos-figure', 'minilm pretrained layer 3: .*?selectivity (-?[\\d.]+)'), r_sel3=out('l10-pos-figure', 'minilm random layer 3: .*?selectivity (-?[\\d.]+)')),
    Quote(L10, '**Our tiny model** reaches {t_pos2:.3f} at its layer 2 (random weights: {tr_pos2:.3f}), a little above the lookup table: 1.5M parameters trained for 53 minutes on novels know a little about English word classes, MiniLM much more.',
          t_pos2=out('l10-pos-figure', 'bertbook-tiny pretrained layer 2: .*?POS (-?[\\d.]+)'), tr_pos2=out('l10-pos-figure', 'bertbook-tiny random layer 2: .*?POS (-?[\\d.]+)')),
    Quote(L10, 'The MLP probe gains little on parts of speech (MiniLM layer 3: {m3_pos_lin:.3f} → {m3_pos_mlp:.3f}) and a lot on the',
          m3_pos_lin=out('l10-mlp-figure', 'minilm layer 3: POS ([\\d.]+) ->'), m3_pos_mlp=out('l10-mlp-figure', 'minilm layer 3: POS [\\d.]+ -> ([\\d.]+)')),
    Quote(L10, 'control task ({m3_c_lin:.3f} → {m3_c_mlp:.3f}), so selectivity drops ({m3_s_lin:.3f} → {m3_s_mlp:.3f}).',
          m3_c_lin=out('l10-mlp-figure', 'minilm layer 3: .*?control ([\\d.]+) ->'), m3_c_mlp=out('l10-mlp-figure', 'minilm layer 3: .*?control [\\d.]+ -> ([\\d.]+)'), m3_s_lin=out('l10-mlp-figure', 'minilm layer 3: .*?selectivity (-?[\\d.]+) ->'), m3_s_mlp=out('l10-mlp-figure', 'minilm layer 3: .*?selectivity -?[\\d.]+ -> (-?[\\d.]+)')),
    Quote(L10, 'UUAS {m_u3:.3f} and DSpr {m_d3:.3f} at layer 3, well above the linear chain ({chain_u:.3f} and {chain_d:.3f}) and the embeddings ({m_u0:.3f} at layer 0).',
          m_u3=out('l10-structural-figure', 'minilm pretrained layer 3: .*?UUAS (-?[\\d.]+)'), m_d3=out('l10-structural-figure', 'minilm pretrained layer 3: .*?DSpr (-?[\\d.]+)'), chain_u=out('l10-structural-figure', 'linear chain: UUAS ([\\d.]+)'), chain_d=out('l10-structural-figure', 'linear chain: UUAS [\\d.]+, DSpr ([\\d.]+)'), m_u0=out('l10-structural-figure', 'minilm pretrained layer 0: .*?UUAS (-?[\\d.]+)')),
    Quote(L10, 'Its last two layers lose it ({m_u6:.3f} at layer 6). A guess we did not test',
          m_u6=out('l10-structural-figure', 'minilm pretrained layer 6: .*?UUAS (-?[\\d.]+)')),
    Quote(L10, '**Random weights** give {r_u3:.3f} at layer 3, *below* the chain: whatever short edges the random mixing of neighbouring positions gives, it holds no tree.',
          r_u3=out('l10-structural-figure', 'minilm random layer 3: .*?UUAS (-?[\\d.]+)')),
    Quote(L10, '**Our tiny model**: {t_u1:.3f} at layer 1 (random: {tr_u1:.3f}), a little above the chain.',
          t_u1=out('l10-structural-figure', 'bertbook-tiny pretrained layer 1: .*?UUAS (-?[\\d.]+)'), tr_u1=out('l10-structural-figure', 'bertbook-tiny random layer 1: .*?UUAS (-?[\\d.]+)')),
    Quote(L10, "MiniLM's words become more contextual with depth, most of the change happening by layer 4: adjusted self-similarity {c_0:.3f} at layer 0",
          c_0=out('l10-context-figure', 'minilm pretrained layer 0: .*?adjusted self-similarity (-?[\\d.]+)')),
    Quote(L10, '(only the position embedding differs between occurrences), {c_3:.3f} at layer 3, {c_6:.3f} at layer 6.',
          c_3=out('l10-context-figure', 'minilm pretrained layer 3: .*?adjusted self-similarity (-?[\\d.]+)'), c_6=out('l10-context-figure', 'minilm pretrained layer 6: .*?adjusted self-similarity (-?[\\d.]+)')),
    Quote(L10, "through the layers to {a_5:.3f} at layer 5 but not in MiniLM's last layer ({a_6:.3f}), probably because its",
          a_5=out('l10-context-figure', 'minilm pretrained layer 5: .*?anisotropy (-?[\\d.]+)'), a_6=out('l10-context-figure', 'minilm pretrained layer 6: .*?anisotropy (-?[\\d.]+)')),
    Quote(L10, 'Random weights are anisotropic everywhere ({ra_3:.3f} at layer 3): the',
          ra_3=out('l10-context-figure', 'minilm random layer 3: .*?anisotropy (-?[\\d.]+)')),
]
