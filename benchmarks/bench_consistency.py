"""Benchmark (a): the vectorised SCR loss against a straightforward per-pair Python loop.

Checks that both give the same value (and the same gradients), then reports the time per call and the speed
ratio (target: ≥20× at P = 64). Forward + backward are timed, as in training. Ratios are within one run.

    .venv/bin/python benchmarks/bench_consistency.py [--pairs 64] [--repeats 200]
"""

from __future__ import annotations

import argparse
import time

import torch

from synvita.method import semantic_consistency_loss


def loop_consistency_loss(f_real, f_real_shared, f_syn, f_syn_shared, real_label, weight, margin=0.2):
    """The obvious implementation: one pair at a time, the two cases spelled out (METHOD.md §4)."""
    P = f_real.numel()
    if P == 0:
        return f_real.sum() * 0.0
    total = f_real.new_zeros(())
    for i in range(P):
        if int(real_label[i]) == 1:
            term = torch.relu(margin + f_real_shared[i] - f_real[i]) + torch.relu(margin + f_syn[i] - f_syn_shared[i])
        else:
            term = torch.relu(margin + f_syn_shared[i] - f_syn[i]) + torch.relu(margin + f_real[i] - f_real_shared[i])
        total = total + weight[i] * term
    return total / P


def _inputs(P: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    f = [torch.rand(P, generator=g, requires_grad=True) for _ in range(4)]
    label = torch.randint(0, 2, (P,), generator=g)
    weight = torch.rand(P, generator=g)
    return f, label, weight


def _time(fn, f, label, weight, repeats: int) -> float:
    best = float("inf")
    for _ in range(3):  # best of 3 blocks of `repeats` calls
        t0 = time.perf_counter()
        for _ in range(repeats):
            for x in f:
                x.grad = None
            fn(*f, label, weight).backward()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[64])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = []
    for P in args.pairs:
        f, label, weight = _inputs(P)
        vec = semantic_consistency_loss(*f, label, weight)
        vec.backward()
        grads_vec = [x.grad.clone() for x in f]
        for x in f:
            x.grad = None
        ref = loop_consistency_loss(*f, label, weight)
        ref.backward()
        grads_ref = [x.grad.clone() for x in f]
        torch.testing.assert_close(vec, ref)
        for a, b in zip(grads_vec, grads_ref):
            torch.testing.assert_close(a, b)
        t_vec = _time(semantic_consistency_loss, f, label, weight, args.repeats)
        t_loop = _time(loop_consistency_loss, f, label, weight, max(1, args.repeats // 10))
        rows.append((P, vec.item(), ref.item(), t_vec * 1e6, t_loop * 1e6, t_loop / t_vec))

    print("SCR loss, forward+backward, 1 thread (best of 3)")
    print(f"{'P':>5} {'vectorised':>12} {'loop':>12} {'vec µs':>9} {'loop µs':>10} {'speed-up':>9}  target")
    for P, v, r, tv, tl, ratio in rows:
        ok = "ok" if ratio >= 20 else "MISSED"
        print(f"{P:>5} {v:>12.6f} {r:>12.6f} {tv:>9.1f} {tl:>10.1f} {ratio:>8.1f}×  ≥20× {ok}")


if __name__ == "__main__":
    main()
