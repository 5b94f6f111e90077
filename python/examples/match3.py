"""Match3 (SPEC.md section 6) learned by a one-layer PyTorch transformer whose attention is the library's
third-order kernel (tensor_attention.torch.TensorAttention), with the settings of the Java trainer
(docs/TRAINING.md): n = 16 tokens in Z_24, a sink token, width 32, 2 heads, pre-norm, MLP 4x, AdamW, batch 64,
learning rate 3e-3 with 200 warm-up steps and cosine decay to 3e-4, float64.

    PYTHONPATH=python /usr/bin/python3 python/examples/match3.py [--steps 3000] [--order 3]

Prints the held-out accuracy per position (1000 sequences) every few hundred steps and at the end."""

import argparse
import math
import time

import numpy as np
import torch
from torch import nn

from tensor_attention.torch import TensorAttention

N, M, SUBSET = 16, 24, 5  # SUBSET distinct residues per sequence: about half the labels are 1 (TRAINING.md)


def sample(rng, count):
    """Sequences of N tokens drawn from SUBSET distinct residues, and their Match3 labels."""
    residues = np.argsort(rng.random((count, M)), axis=1)[:, :SUBSET]
    x = np.take_along_axis(residues, rng.integers(0, SUBSET, (count, N)), axis=1)
    # y_i = 1 iff x_i + x_j1 + x_j2 = 0 (mod M) for some j1, j2: a pair sum of the sequence equals -x_i.
    sums = (x[:, :, None] + x[:, None, :]) % M
    reachable = np.zeros((count, M), bool)
    np.put_along_axis(reachable, sums.reshape(count, -1), True, axis=1)
    y = np.take_along_axis(reachable, (M - x) % M, axis=1).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


class Model(nn.Module):
    def __init__(self, order, width=32, heads=2):
        super().__init__()
        dt = torch.float64
        self.embed = nn.Embedding(M + 1, width, dtype=dt)  # token M is the sink
        self.norm1 = nn.LayerNorm(width, dtype=dt)
        self.attn = TensorAttention(width, heads, order=order, causal=False, bias=False, dtype=dt)
        self.norm2 = nn.LayerNorm(width, dtype=dt)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width, dtype=dt), nn.GELU(),
                                 nn.Linear(4 * width, width, dtype=dt))
        self.norm3 = nn.LayerNorm(width, dtype=dt)
        self.head = nn.Linear(width, 2, dtype=dt)

    def forward(self, x):
        sink = torch.full((x.shape[0], 1), M, dtype=x.dtype)
        h = self.embed(torch.cat([sink, x], dim=1))
        h = h + self.attn(self.norm1(h))
        h = h + self.mlp(self.norm2(h))
        return self.head(self.norm3(h))[:, 1:]  # the sink gets no label


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(-1) == y).double().mean().item()


def main():
    ap = argparse.ArgumentParser(description="Match3 with tensor_attention.torch")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--order", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=500)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    model = Model(args.order)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": matrices, "weight_decay": 0.01}, {"params": others, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.999))
    warmup, floor = 200, 3e-4

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        t = (step - warmup) / max(1, args.steps - warmup)
        return floor + (args.lr - floor) * 0.5 * (1 + math.cos(math.pi * t))

    held_x, held_y = sample(np.random.default_rng(10 ** 6 + args.seed), 1000)
    print(f"Match3, n = {N}, M = {M}: order {args.order}, {sum(p.numel() for p in model.parameters())} "
          f"parameters, {held_y.double().mean().item():.3f} of held-out labels are 1", flush=True)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for step in range(args.steps):
        x, y = sample(np.random.default_rng([args.seed, step]), args.batch)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        loss = loss_fn(model(x).reshape(-1, 2), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            print(f"step {step + 1:5d}  loss {loss.item():.4f}  held-out accuracy "
                  f"{accuracy(model, held_x, held_y):.3f}  ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"final held-out accuracy {accuracy(model, held_x, held_y):.3f} after {args.steps} steps, "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
