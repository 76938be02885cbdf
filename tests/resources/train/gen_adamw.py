"""Reference values for AdamWTest: three torch.optim.AdamW steps on a 2x3 tensor whose entries 1 and 4 are masked.

The mask is applied as SparseJ does it: the masked entries' gradients are 0 and their values start at 0, and with
weight decay a zero stays zero, so torch's dense update leaves them at 0 too. Run: python3 gen_adamw.py
"""
import torch

torch.set_printoptions(precision=10)
p = torch.nn.Parameter(torch.tensor([[0.5, 0.0, -1.25], [2.0, 0.0, 0.3]], dtype=torch.float32))
grads = [
    [[0.1, 0.0, -0.4], [1.5, 0.0, -0.02]],
    [[-0.3, 0.0, 0.2], [0.7, 0.0, 0.05]],
    [[0.05, 0.0, -0.6], [-2.0, 0.0, 0.01]],
]
lrs = [1e-2, 5e-3, 2e-3]
opt = torch.optim.AdamW([p], lr=lrs[0], betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
for g, lr in zip(grads, lrs):
    for group in opt.param_groups:
        group["lr"] = lr
    p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
    print("after lr=%g:" % lr, ", ".join("%.9ef" % x for x in p.detach().flatten().tolist()))
