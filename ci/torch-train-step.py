#!/usr/bin/env python3
"""PyTorch's training step on sj-7m's shape, the baseline SparseJ's GradientStep is compared with (docs/finetune.md).

Loads the HF copy of sj-7m (../shared/models/sj-7m/hf) with transformers, CPU float32, torch threads as asked, and
times fwd+bwd (CE over batch x seqLen random tokens) and fwd+bwd+AdamW step, best and mean over the steps.
usage: python3 ci/torch-train-step.py [MODEL_DIR] [BATCH] [SEQLEN] [THREADS] [STEPS]
"""
import sys
import time

import torch
import torch.nn.functional as F
from transformers import LlamaForCausalLM


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/models/sj-7m/hf"
    batch, seq, threads, steps = (int(a) for a in (sys.argv[2:6] + ["8", "256", "2", "5"][len(sys.argv[2:6]):]))
    torch.set_num_threads(threads)
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="sdpa")
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    gen = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, model.config.vocab_size, (batch, seq + 1), generator=gen)

    def step(with_optimizer):
        logits = model(input_ids=tokens[:, :-1]).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=False)
        loss.backward()
        if with_optimizer:
            opt.step()
        return loss.item()

    for with_optimizer in (False, True):
        step(with_optimizer)  # warm-up
        times = []
        for _ in range(steps):
            t0 = time.perf_counter()
            step(with_optimizer)
            times.append(time.perf_counter() - t0)
        what = "fwd+bwd+AdamW" if with_optimizer else "fwd+bwd"
        n = batch * seq
        print(f"torch {torch.__version__} {what} batch {batch} seq {seq} threads {threads}: "
              f"mean {n * steps / sum(times):.0f} tokens/s, best {n / min(times):.0f} tokens/s")


if __name__ == "__main__":
    main()
