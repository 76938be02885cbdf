#!/usr/bin/env python3
"""Writes a Hugging Face Llama directory (config.json + one model.safetensors) with RANDOM BF16 or F16 weights, for
benchmarks of weights run as stored: `sparsej synth` writes F32 llama2.c files, which for a 7B shape would need
27 GB. Weights ~ N(0, 0.02), norms 1. Its text is noise; its speed is that of a trained model of the same shape.

  python3 docs/synth-hf-half.py --shape llama2-7b --dtype bf16 -o /work/big/native/llama2-7b-bf16
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

SHAPES = {  # dim, hidden, layers, heads, kv heads, vocab, context
    "llama2-7b": (4096, 11008, 32, 32, 32, 32000, 4096),
    "tinyllama-1.1b": (2048, 5632, 22, 32, 4, 32000, 2048),
    "stories110m": (768, 2048, 12, 12, 12, 32000, 1024),
}


def tensors(dim, hidden, layers, heads, kv_heads, vocab):
    kv = dim // heads * kv_heads
    yield "model.embed_tokens.weight", (vocab, dim), False
    for l in range(layers):
        p = f"model.layers.{l}."
        yield p + "input_layernorm.weight", (dim,), True
        yield p + "self_attn.q_proj.weight", (dim, dim), False
        yield p + "self_attn.k_proj.weight", (kv, dim), False
        yield p + "self_attn.v_proj.weight", (kv, dim), False
        yield p + "self_attn.o_proj.weight", (dim, dim), False
        yield p + "post_attention_layernorm.weight", (dim,), True
        yield p + "mlp.gate_proj.weight", (hidden, dim), False
        yield p + "mlp.up_proj.weight", (hidden, dim), False
        yield p + "mlp.down_proj.weight", (dim, hidden), False
    yield "model.norm.weight", (dim,), True
    yield "lm_head.weight", (vocab, dim), False


def random_halves(rng, n, dtype):
    """n random 16-bit values with a random sign and mantissa and one exponent: |w| in [2^-7, 2^-6), i.e. about
    0.01 like a trained model's weights. Bit operations on random bytes: a normal draw per weight took ~30 min for
    a 7B shape on a loaded 2-core machine."""
    r = np.frombuffer(rng.bytes(2 * n), np.uint16)
    if dtype == "f16":
        return (r & 0x83FF) | 0x2000  # exponent 8 - 15 = -7
    return (r & 0x807F) | 0x3C00  # exponent 120 - 127 = -7


def encode(f32, dtype):
    if dtype == "f16":
        return f32.astype(np.float16).view(np.uint16)
    u = f32.view(np.uint32)  # round to nearest even, as Halfs.f32ToBf16
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--shape", required=True, choices=sorted(SHAPES))
    a.add_argument("--dtype", default="bf16", choices=["bf16", "f16"])
    a.add_argument("-s", "--seed", type=int, default=42)
    a.add_argument("-o", "--output", required=True)
    args = a.parse_args()
    if os.path.exists(args.output):
        sys.exit(f"error: {args.output} exists")
    dim, hidden, layers, heads, kv_heads, vocab, ctx = SHAPES[args.shape]
    st = "BF16" if args.dtype == "bf16" else "F16"
    specs = list(tensors(dim, hidden, layers, heads, kv_heads, vocab))
    header, offset = {}, 0
    for name, shape, _ in specs:
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": st, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    tmp = args.output + ".partial"
    os.makedirs(tmp)
    rng = np.random.default_rng(args.seed)
    with open(os.path.join(tmp, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape, is_norm in specs:
            for r0 in range(0, shape[0], 4096 if len(shape) == 2 else shape[0]):  # ~ 90 MB of F32 at a time
                part = (min(4096, shape[0] - r0),) + shape[1:] if len(shape) == 2 else shape
                f.write(encode(np.ones(part, np.float32), args.dtype).tobytes() if is_norm
                        else random_halves(rng, int(np.prod(part)), args.dtype).tobytes())
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": dim,
              "intermediate_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
              "num_key_value_heads": kv_heads, "vocab_size": vocab, "max_position_embeddings": ctx,
              "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": False, "bos_token_id": 1,
              "eos_token_id": 2, "hidden_act": "silu",
              "torch_dtype": "bfloat16" if args.dtype == "bf16" else "float16"}
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    os.rename(tmp, args.output)
    print(f"wrote {args.output}: {args.shape} {st}, {offset / 1e9:.2f} GB of weights (RANDOM)")


if __name__ == "__main__":
    main()
