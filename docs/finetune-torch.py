"""PyTorch training throughput on what `sparsej finetune` trains: a measurement script for issue 16, never run by
SparseJ or its tests.

The same model (transformers' LlamaForCausalLM, F32), the same batches (the windows TrainingData draws: the
student's tokenizer, the held-out tail cut off, java.util.SplittableRandom re-implemented so step s gets the same
offsets), the same losses (ce; kd = T^2 * KL(teacher || student) at T = 2 plus 0.25 * ce; kd+squarehead adds the
mean over blocks of |h_s - h_t|^2 / |h_t|^2 of each block's output), the same schedule (linear warm-up over
min(20, steps / 10) steps, cosine to a tenth of lr), clipping at global norm 1 and AdamW(0.9, 0.999, eps 1e-8,
weight decay 0), every tensor trained. The mask is kept by zeroing the pruned entries' gradients after each
backward (before clipping, as SparseJ copies only kept entries): with zero gradients AdamW's moments there stay 0,
so the update there is 0 and a pruned weight stays exactly 0 (checked at the end).

Usage: python3 docs/finetune-torch.py STUDENT_DIR --teacher HF_DIR --data train.txt [--loss ce|kd|kd+squarehead]
  [--steps 40] [--batch 4] [--seqlen 128] [--lr 1e-3] [--heldout 4096] [--seed 0] [--threads 2]
  [--ids IDS_FILE]
STUDENT_DIR is a Hugging Face directory as `sparsej prune` writes it (dense, sparse-bitmask or sparse-24-bitmask
linears). --ids caches the tokenized text (space-separated ids, as `sparsej tokenize --ids --no-bos` prints them):
read when it exists, else written (tokenizing train.txt with `tokenizers` took 80 s on the loaded machine; it
gives SparseJ's ids, checked on train.txt). Prints the step-0 loss (the first batch, before any update: compare
with row 1 of SparseJ's finetune.csv), tokens/s over steps 5..steps and the peak RSS.
"""
import argparse
import json
import math
import os
import resource
import time

import torch
from safetensors.torch import load_file
from transformers import LlamaConfig, LlamaForCausalLM

M64 = (1 << 64) - 1


class SplittableRandom:
    """java.util.SplittableRandom(seed) of JDK 17: nextInt(bound) as RandomSupport.boundedNextInt."""
    GAMMA = 0x9E3779B97F4A7C15

    def __init__(self, seed):
        self.seed = seed & M64

    def _next_int(self):
        self.seed = (self.seed + self.GAMMA) & M64
        z = self.seed
        z = ((z ^ (z >> 33)) * 0x62A9D9ED799705F5) & M64
        z = (((z ^ (z >> 28)) * 0xCB24D0A5C88C35B3) & M64) >> 32
        return z - (1 << 32) if z >= 1 << 31 else z  # Java's (int)

    def next_int(self, bound):
        r = self._next_int()
        m = bound - 1
        if bound & m == 0:
            return r & m
        u = (r & 0xFFFFFFFF) >> 1  # r >>> 1
        while True:
            r = u % bound
            if ((u + m - r + (1 << 31)) & 0xFFFFFFFF) - (1 << 31) >= 0:  # u + m - r < 0 in int arithmetic
                return r
            u = (self._next_int() & 0xFFFFFFFF) >> 1


def batch(train, bos, seqlen, size, seed, step):
    """TrainingData.batch(step): size windows of [BOS] + seqlen consecutive ids."""
    rng = SplittableRandom(seed + step * 0x632BE59BD9B4E019)
    rows = []
    for _ in range(size):
        start = rng.next_int(len(train) - seqlen + 1)
        rows.append([bos] + train[start:start + seqlen])
    return torch.tensor(rows, dtype=torch.long)


def read_ids(args, student_dir):
    if args.ids and os.path.exists(args.ids):
        with open(args.ids) as f:
            return [int(t) for t in f.read().split()]
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(student_dir, "tokenizer.json"))
    with open(args.data, encoding="utf-8") as f:
        ids = tok.encode(f.read(), add_special_tokens=False).ids
    if args.ids:
        with open(args.ids, "w") as f:
            f.write(" ".join(map(str, ids)) + "\n")
    return ids


def load_student(path):
    """The student as a dense LlamaForCausalLM and the masks (True = kept) of its sparse linears."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    cfg.pop("quantization_config", None)  # the bitmask formats are decoded here, not by compressed-tensors
    model = LlamaForCausalLM(LlamaConfig(**cfg))
    raw = load_file(os.path.join(path, "model.safetensors"))
    state, masks = {}, {}
    for name, t in raw.items():
        if name.endswith(".bitmask"):
            base = name[: -len(".bitmask")]
            rows = t.shape[0]
            cols = int(raw[base + ".shape"].flatten()[1])
            bits = torch.tensor([1 << i for i in range(8)], dtype=torch.uint8)  # packbits, little bit order
            mask = ((t.unsqueeze(-1) & bits) != 0).reshape(rows, -1)[:, :cols]
            w = torch.zeros(rows, cols)
            w[mask] = raw[base + ".compressed"].flatten()  # kept values in row-major order
            state[base + ".weight"] = w
            masks[base + ".weight"] = mask
        elif not name.endswith((".shape", ".compressed", ".row_offsets")):
            state[name] = t
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise SystemExit("error: %s: missing %s, unexpected %s" % (path, missing, unexpected))
    model.tie_weights()
    return model, masks


def block_outputs(model):
    """Hooks keeping each decoder layer's output (the residual stream after the block, before the final norm)."""
    outs = []
    for layer in model.model.layers:
        layer.register_forward_hook(lambda m, i, o: outs.append(o[0] if isinstance(o, tuple) else o))
    return outs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("student")
    ap.add_argument("--teacher")
    ap.add_argument("--data", required=True)
    ap.add_argument("--loss", default="kd", choices=["ce", "kd", "kd+squarehead"])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seqlen", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--heldout", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ids")
    args = ap.parse_args()
    if args.steps < 6:
        raise SystemExit("error: --steps must be at least 6 (tokens/s is measured over steps 5..steps)")
    if args.loss != "ce" and not args.teacher:
        raise SystemExit("error: loss %s distils a teacher: give --teacher" % args.loss)
    needed = [os.path.join(args.student, "model.safetensors"), args.data]
    if args.loss != "ce":
        needed.append(os.path.join(args.teacher, "config.json"))
    for path in needed:
        if not os.path.isfile(path):
            raise SystemExit("error: %s: no such file" % path)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    ids = read_ids(args, args.student)
    held = min(args.heldout, len(ids) // 10)
    train = ids[: len(ids) - held]
    student, masks = load_student(args.student)
    student.train()
    teacher = None
    if args.loss != "ce":
        teacher = LlamaForCausalLM.from_pretrained(args.teacher, torch_dtype=torch.float32).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    squarehead = args.loss == "kd+squarehead"
    s_out = block_outputs(student) if squarehead else None
    t_out = block_outputs(teacher) if squarehead else None
    named = dict(student.named_parameters())
    masked = [(named[n], m) for n, m in masks.items()]
    params = list(student.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    warmup = min(20, args.steps // 10)
    T, ce_weight = 2.0, 0.25
    bos = student.config.bos_token_id
    n_tok = args.batch * args.seqlen
    print("student %s: %d sparse linears, %d of %d linear weights kept; loss %s, %d threads; %d ids, %d trained on"
          % (args.student, len(masks), sum(int(m.sum()) for m in masks.values()),
             sum(m.numel() for m in masks.values()), args.loss, torch.get_num_threads(), len(ids), len(train)))

    t5 = None
    for step in range(args.steps):
        if step < warmup:
            lr = args.lr * (step + 1) / warmup
        else:
            lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        tokens = batch(train, bos, args.seqlen, args.batch, args.seed, step)
        x, y = tokens[:, :-1], tokens[:, 1:]
        if squarehead:
            s_out.clear()
            t_out.clear()
        logits = student(input_ids=x).logits.reshape(n_tok, -1)
        ce = torch.nn.functional.cross_entropy(logits, y.reshape(-1))
        kd = sh = torch.zeros(())
        if teacher is not None:
            with torch.no_grad():
                t_logits = teacher(input_ids=x).logits.reshape(n_tok, -1)
            kd = torch.nn.functional.kl_div(torch.log_softmax(logits / T, -1), torch.log_softmax(t_logits / T, -1),
                                            reduction="batchmean", log_target=True) * T * T
            if squarehead:
                sh = sum(((hs - ht) ** 2).sum() / (ht ** 2).sum() for hs, ht in zip(s_out, t_out)) / len(s_out)
            loss = kd + ce_weight * ce + sh
        else:
            loss = ce
        opt.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            for p, m in masked:
                p.grad.mul_(m)
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step == 0:
            print("step 0 loss %.6f (ce %.6f kd %.6f sqh %.6f) |g| %.6f lr %.6g"
                  % (loss.item(), ce.item(), kd.item(), sh.item(), norm.item(), lr))
        if step + 1 == 5:
            t5 = time.perf_counter()
        if (step + 1) % 10 == 0:
            print("step %d loss %.4f lr %.3g" % (step + 1, loss.item(), lr), flush=True)
    seconds = time.perf_counter() - t5
    with torch.no_grad():
        leaked = sum(int((p[~m] != 0).sum()) for p, m in masked)
    print("tokens/s %.1f over steps 5..%d (%.2f s); peak RSS %.0f MB; pruned weights no longer zero: %d"
          % ((args.steps - 5) * n_tok / seconds, args.steps, seconds,
             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, leaked))


if __name__ == "__main__":
    main()
