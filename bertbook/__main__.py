"""Command line: ``python -m bertbook <command>``.

    demo        encode a sentence with the real MiniLM BERT and show its tokens and attention
    tokenizer   retrain the shipped WordPiece vocabulary from the corpus
"""
from __future__ import annotations

import argparse
import sys


def demo(args: argparse.Namespace) -> None:
    import torch
    from bertbook import encode, load_pretrained, load_tokenizer
    tok, model = load_tokenizer("minilm"), load_pretrained("minilm")
    batch = encode(tok, args.text, truncation=True)
    with torch.no_grad():
        out = model(**batch, output_attentions=True)
    tokens = tok.encode(args.text).tokens[: batch["input_ids"].shape[1]]
    print(f"{len(tokens)} WordPiece tokens: {' '.join(tokens)}")
    probs = out.attentions[-1][0].mean(0)          # last layer, averaged over heads
    print("last layer, mean over heads: each token attends most to")
    for i, t in enumerate(tokens):
        j = int(probs[i].argmax())
        print(f"  {t:>15} -> {tokens[j]:<15} ({probs[i, j]:.2f})")


def retrain_tokenizer(args: argparse.Namespace) -> None:
    from bertbook.tokenizer import SHIPPED_TOKENIZER, train_wordpiece
    out = args.out or SHIPPED_TOKENIZER
    tok = train_wordpiece(vocab_size=args.vocab_size)
    tok.save(str(out))
    print(f"saved a {tok.get_vocab_size()}-piece WordPiece tokenizer to {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bertbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="tokens and attention of the real MiniLM BERT on a sentence")
    p.add_argument("text", nargs="?", default="The whale swam under the ship and the sailors cheered.")
    p.set_defaults(func=demo)
    p = sub.add_parser("tokenizer", help="retrain the WordPiece vocabulary on data/corpus")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--out", default=None)
    p.set_defaults(func=retrain_tokenizer)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
