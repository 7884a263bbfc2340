"""Language modelling: a character-level model of Python's own documentation.

The text ships with Python: the docstrings of a fixed list of standard-library modules
(and of their public classes, methods and functions), gathered with ``inspect`` in a fixed
order, so a run is reproducible on a given Python. The model reads windows of characters
and predicts each next one: an LSTM (``--model lstm``, the default) or a tiny causal
Transformer (``--model transformer``: token + position embeddings, TransformerEncoderLayers
under a causal mask, a linear head). Afterwards it writes some text of its own.

Bar: validation loss <= 0.75x the unigram baseline (the entropy of the character
frequencies, in nats per character: what a model that ignores context can reach).

    python resources/examples/language_char_lm.py
    python resources/examples/language_char_lm.py --model transformer --temperature 0.6
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import core
import core.nn as nn
import core.nn.functional as F
from core.datasets.text import stdlib_docs  # the corpus: docstrings of MODULES, in order


class CharLSTM(nn.Module):
    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x, state=None):
        """(B, T) character ids -> (B, T, vocab) logits, and the LSTM's (h, c) state."""
        out, state = self.lstm(self.embed(x), state)
        return self.head(out), state


class CharTransformer(nn.Module):
    def __init__(self, vocab_size: int, block: int, d_model: int = 128, layers: int = 2) -> None:
        super().__init__()
        self.block = block  # the longest context it sees
        self.embed = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(block, d_model)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model,
                nhead=4,
                dim_feedforward=4 * d_model,
                dropout=0.0,
                batch_first=True,
                norm_first=True,  # pre-norm (as GPT): trains steadily at a high learning rate
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, x, state=None):
        """(B, T) character ids -> (B, T, vocab) logits; position t sees positions <= t."""
        T = x.shape[1]
        h = self.embed(x) + self.position(core.arange(T))
        causal = core.triu(core.full((T, T), float("-inf")), diagonal=1)
        for layer in self.layers:
            h = layer(h, src_mask=causal)
        return self.head(self.norm(h)), None


def unigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """Entropy of the character frequencies, in nats per character."""
    p = np.bincount(ids, minlength=vocab_size) / len(ids)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def windows(ids: np.ndarray, starts: np.ndarray, length: int):
    """Inputs and next-character targets, (B, length) each, from the given start offsets."""
    chunk = ids[starts[:, None] + np.arange(length + 1)]
    return core.from_numpy(chunk[:, :-1]), core.from_numpy(chunk[:, 1:])


@core.no_grad()
def evaluate(model: nn.Module, ids: np.ndarray, length: int, batch_size: int) -> float:
    """Mean cross-entropy (nats/char) over consecutive, non-overlapping windows of ``ids``."""
    model.eval()
    starts = np.arange(0, len(ids) - length - 1, length)
    total = 0.0
    for i in range(0, len(starts), batch_size):
        x, y = windows(ids, starts[i : i + batch_size], length)
        logits, _ = model(x)
        total += F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum").item()
    model.train()
    return total / (len(starts) * length)


@core.no_grad()
def sample(model, prompt: str, length: int, temperature: float, stoi, itos, rng) -> str:
    """Continue ``prompt`` by ``length`` characters drawn from the model at ``temperature``."""
    model.eval()
    ids = [stoi[c] for c in prompt]
    x, state = ids, None
    for _ in range(length):
        if isinstance(model, CharTransformer):
            x = ids[-model.block :]  # the Transformer rereads its context window
        logits, state = model(core.tensor([x]), state)  # an LSTM carries its state instead
        probs = F.softmax(logits[0, -1] / temperature, dim=-1).numpy().astype(np.float64)
        ids.append(int(rng.choice(len(probs), p=probs / probs.sum())))
        x = ids[-1:]
    model.train()
    return "".join(itos[i] for i in ids)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["lstm", "transformer"], default="lstm")
    parser.add_argument("--steps", type=int, help="default: 1000 (LSTM), 500 (Transformer)")
    parser.add_argument("--width", type=int, help="default: 256 (LSTM), 128 (Transformer)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--max-chars", type=int, default=None, help="use only this much text")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--sample-chars", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    steps = args.steps or {"lstm": 1000, "transformer": 500}[args.model]
    width = args.width or {"lstm": 256, "transformer": 128}[args.model]

    core.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    docs = stdlib_docs(args.max_chars)
    train_text = "\n\n".join(d for i, d in enumerate(docs) if i % 10 != 9)
    val_text = "\n\n".join(docs[9::10])  # every tenth docstring is held out
    itos = sorted(set(train_text + val_text))
    stoi = {c: i for i, c in enumerate(itos)}
    train_ids = np.array([stoi[c] for c in train_text], dtype=np.int64)
    val_ids = np.array([stoi[c] for c in val_text], dtype=np.int64)
    unigram = unigram_entropy(train_ids, len(itos))
    print(
        f"{len(train_ids):,} training and {len(val_ids):,} validation characters, "
        f"{len(itos)} distinct; unigram entropy {unigram:.3f} nats/char"
    )

    if args.model == "lstm":
        model = CharLSTM(len(itos), hidden=width)
    else:
        model = CharTransformer(len(itos), block=args.seq_len, d_model=width)
    optimizer = core.optim.Adam(model.parameters(), lr=args.lr)
    schedule = core.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

    start = time.perf_counter()
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(train_ids) - args.seq_len - 1, size=args.batch_size)
        x, y = windows(train_ids, starts, args.seq_len)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 200 == 0 or step == steps:
            elapsed = time.perf_counter() - start
            print(f"step {step:5d}  training loss {loss.item():.3f}  {elapsed:5.1f}s")
    seconds = time.perf_counter() - start

    val_loss = evaluate(model, val_ids, args.seq_len, batch_size=64)
    ratio = val_loss / unigram
    print(
        f"{args.model}: validation loss {val_loss:.3f} nats/char = {ratio:.2f}x unigram "
        f"{unigram:.3f} (bar <= 0.75x); {math.exp(val_loss):.1f} perplexity"
    )
    text_out = sample(model, "Return the ", args.sample_chars, args.temperature, stoi, itos, rng)
    print(f"--- sample at temperature {args.temperature} ---\n{text_out}\n---")
    return {
        "val_loss": val_loss,
        "unigram": unigram,
        "ratio": ratio,
        "seconds": seconds,
        "sample": text_out,
    }


if __name__ == "__main__":
    main()
