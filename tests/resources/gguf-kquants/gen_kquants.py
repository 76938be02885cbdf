"""Generates K-quant test data for KQuantsTest with the gguf package (run once; tests never run Python).

For Q4_K, Q5_K and Q6_K: 6 random super-blocks (random packed scales and quants, small f16 d/dmin) as raw bytes,
and gguf's own dequantization of them as little-endian float32 (TYPE.bin, TYPE.f32). Then a one-layer model
(dim 256, so rows are whole super-blocks) whose every matrix is random K-quant blocks, as a GGUF file, with
the logits transformers computes from gguf's dequantized weights (kquant-model.json).

    python3 tests/resources/gguf-kquants/gen_kquants.py   # from the project root
"""
import json
import os

import gguf
import numpy as np
import torch
from gguf import GGMLQuantizationType as T
from transformers import LlamaConfig, LlamaForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {"Q4_K": T.Q4_K, "Q5_K": T.Q5_K, "Q6_K": T.Q6_K}
rng = np.random.default_rng(5)


def blocks(kind, n, scale):
    """n random super-blocks of a K-quant type, their f16 factors set to small finite values."""
    size = gguf.GGML_QUANT_SIZES[TYPES[kind]][1]
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    if kind == "Q6_K":
        raw[:, 208:210] = np.frombuffer(np.float16(rng.uniform(0.2, 1.0, n) * scale).tobytes(),
                                        dtype=np.uint8).reshape(n, 2)
    else:
        d = np.stack([np.float16(rng.uniform(0.2, 1.0, n) * scale), np.float16(rng.uniform(0.2, 1.0, n) * scale)], 1)
        raw[:, 0:4] = np.frombuffer(d.tobytes(), dtype=np.uint8).reshape(n, 4)
    return raw


def matrix(kind, rows, cols, scale):
    raw = blocks(kind, rows * cols // 256, scale).reshape(rows, cols // 256 * raw_size(kind))
    return raw, gguf.quants.dequantize(raw, TYPES[kind]).reshape(rows, cols).astype(np.float32)


def raw_size(kind):
    return gguf.GGML_QUANT_SIZES[TYPES[kind]][1]


def unpermute(w, heads):
    """Inverse of llama.cpp's q/k permutation: interleaved pairs back to rotate-half rows."""
    return w.reshape(heads, w.shape[0] // heads // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    for kind in TYPES:
        raw = blocks(kind, 6, 0.01)
        raw.tofile(os.path.join(HERE, kind + ".bin"))
        gguf.quants.dequantize(raw, TYPES[kind]).astype("<f4").tofile(os.path.join(HERE, kind + ".f32"))

    dim, hidden, heads, kv_heads, vocab = 256, 256, 4, 2, 96
    head = dim // heads
    names = {"attn_q": ("Q4_K", dim), "attn_k": ("Q5_K", kv_heads * head), "attn_v": ("Q6_K", kv_heads * head),
             "attn_output": ("Q4_K", dim), "ffn_gate": ("Q5_K", hidden), "ffn_up": ("Q6_K", hidden),
             "ffn_down": ("Q4_K", dim)}
    w = gguf.GGUFWriter(os.path.join(HERE, "kquant-model.gguf"), "llama")
    w.add_context_length(64)
    w.add_embedding_length(dim)
    w.add_block_count(1)
    w.add_feed_forward_length(hidden)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_rope_dimension_count(head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    embed = rng.normal(0, 1, (vocab, dim)).astype(np.float32)
    norms = [rng.uniform(0.5, 1.5, dim).astype(np.float32) for _ in range(3)]
    w.add_tensor("token_embd.weight", embed)
    w.add_tensor("blk.0.attn_norm.weight", norms[0])
    w.add_tensor("blk.0.ffn_norm.weight", norms[1])
    deq = {}
    for name, (kind, rows) in names.items():
        raw, values = matrix(kind, rows, dim if name != "ffn_down" else hidden, 0.004)
        w.add_tensor("blk.0.%s.weight" % name, raw, raw_dtype=TYPES[kind])
        deq[name] = values
    w.add_tensor("output_norm.weight", norms[2])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    config = LlamaConfig(hidden_size=dim, intermediate_size=hidden, num_hidden_layers=1, num_attention_heads=heads,
                         num_key_value_heads=kv_heads, vocab_size=vocab, max_position_embeddings=64,
                         rms_norm_eps=1e-5, tie_word_embeddings=True, rope_parameters=dict(rope_type="default",
                                                                                           rope_theta=10000.0))
    model = LlamaForCausalLM(config).to(torch.float64).eval()
    sd = {"model.embed_tokens.weight": embed, "model.layers.0.input_layernorm.weight": norms[0],
          "model.layers.0.post_attention_layernorm.weight": norms[1], "model.norm.weight": norms[2],
          "model.layers.0.self_attn.q_proj.weight": unpermute(deq["attn_q"], heads),
          "model.layers.0.self_attn.k_proj.weight": unpermute(deq["attn_k"], kv_heads),
          "model.layers.0.self_attn.v_proj.weight": deq["attn_v"],
          "model.layers.0.self_attn.o_proj.weight": deq["attn_output"],
          "model.layers.0.mlp.gate_proj.weight": deq["ffn_gate"], "model.layers.0.mlp.up_proj.weight": deq["ffn_up"],
          "model.layers.0.mlp.down_proj.weight": deq["ffn_down"], "lm_head.weight": embed}
    model.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in sd.items()}, strict=True)
    prompt = rng.integers(3, vocab, 16).tolist()
    with torch.no_grad():
        logits = model(torch.tensor([prompt])).logits[0]
    json.dump({"prompt_ids": prompt, "logits": [[round(v, 7) for v in r] for r in logits.tolist()]},
              open(os.path.join(HERE, "kquant-model.json"), "w"))


if __name__ == "__main__":
    main()
