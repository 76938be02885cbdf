"""PyTorch's cuBLAS FP16 and cuSPARSELt 2:4 on the shapes of cuda/test/gemm_bench.cu, for comparison.

out[batch][rows] = x[batch][cols] @ W.T with W 2:4 sparse (FP16): dense torch.mm, torch._cslt_sparse_mm on the
compressed W (torch._cslt_compress) and to_sparse_semi_structured. Times in microseconds from CUDA events (mean
of 20 after 5 warm-ups). One CSV line per (shape, batch, path); run by ci/cuda-device-check.sh.
"""
import torch

def timed(fn):
    for _ in range(5):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(20):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) * 1000 / 20

def two_four(rows, cols):
    w = torch.randn(rows, cols, device="cuda", dtype=torch.float16)
    groups = w.view(rows, cols // 4, 4)
    keep = groups.abs().topk(2, dim=-1).indices
    mask = torch.zeros_like(groups, dtype=torch.bool).scatter_(-1, keep, True)
    return (groups * mask).view(rows, cols)

print(f"# {torch.cuda.get_device_name()} torch {torch.__version__}")
print("rows,cols,batch,path,us,tflops,vs_dense")
for rows, cols in [(4096, 4096), (11008, 4096), (4096, 11008)]:
    w = two_four(rows, cols)
    try:
        compressed = torch._cslt_compress(w)
    except Exception as e:  # noqa: BLE001 - report and carry on with the other paths
        compressed = None
        print(f"# _cslt_compress: {e}")
    try:
        from torch.sparse import to_sparse_semi_structured
        semi = to_sparse_semi_structured(w)
    except Exception as e:  # noqa: BLE001
        semi = None
        print(f"# to_sparse_semi_structured: {e}")
    for batch in [1, 16, 128, 1024, 4096]:
        x = torch.randn(batch, cols, device="cuda", dtype=torch.float16)
        flops = 2.0 * rows * cols * batch
        dense = timed(lambda: torch.mm(x, w.t()))
        paths = [("torch-cublas-f16", dense)]
        if compressed is not None:
            try:  # _cslt_sparse_mm(A compressed, B) = A @ B: out^T = W @ x^T
                paths.append(("torch-cslt-2:4", timed(lambda: torch._cslt_sparse_mm(compressed, x.t()))))
            except Exception as e:  # noqa: BLE001
                print(f"# _cslt_sparse_mm batch {batch}: {e}")
        if semi is not None:
            try:
                paths.append(("torch-semi-structured", timed(lambda: torch.mm(semi, x.t()))))
            except Exception as e:  # noqa: BLE001
                print(f"# semi-structured batch {batch}: {e}")
        for name, us in paths:
            print(f"{rows},{cols},{batch},{name},{us:.1f},{flops / us / 1e6:.1f},{dense / us:.2f}", flush=True)
