"""Writes the tiny models of gen_tiny_models.py as GGUF files with the gguf package, the way llama.cpp's
convert_hf_to_gguf.py lays them out (run once, after gen_tiny_models.py; tests never run Python):
"llama" architecture with q/k rows permuted to interleaved pairs, rope.scaling.* keys for linear and yarn, the
rope_freqs tensor for llama3 scaling, attention.key_length for head_dim; "qwen2" with q/k/v biases and q/k rows
left in rotate-half order. The transformers logits in reference.json stay the reference: the weights are the same.

    python3 tests/resources/models/gen_tiny_gguf.py   # from the project root
"""
import json
import math
import os

import gguf
import numpy as np
from safetensors.numpy import load_file

HERE = os.path.dirname(os.path.abspath(__file__))


def permute(w, heads):
    """llama.cpp's q/k permutation: rotate-half rows to interleaved pairs."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_factors(rope, head_dim):
    """rope_freqs as convert_hf_to_gguf.py computes it for rope_type llama3."""
    base, factor = rope["rope_theta"], rope["factor"]
    low, high, old = rope["low_freq_factor"], rope["high_freq_factor"], rope["original_max_position_embeddings"]
    freqs = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < old / high:
            out.append(1)
        elif wavelen > old / low:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def convert(name):
    src = os.path.join(HERE, name)
    c = json.load(open(os.path.join(src, "config.json")))
    t = load_file(os.path.join(src, "model.safetensors"))
    arch = "qwen2" if c["model_type"] == "qwen2" else "llama"
    heads, kv_heads = c["num_attention_heads"], c["num_key_value_heads"]
    head_dim = c.get("head_dim") or c["hidden_size"] // heads
    rope = c.get("rope_parameters") or {}
    w = gguf.GGUFWriter(os.path.join(HERE, name + ".gguf"), arch)
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(c["hidden_size"])
    w.add_block_count(c["num_hidden_layers"])
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_rope_freq_base(rope.get("rope_theta", 10000.0))
    kind = rope.get("rope_type", "default")
    if kind == "linear":
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(rope["factor"])
    elif kind == "yarn":
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(rope["factor"])
        w.add_rope_scaling_orig_ctx_len(rope["original_max_position_embeddings"])
    elif kind == "llama3":
        w.add_tensor("rope_freqs.weight", llama3_factors(rope, head_dim))
    w.add_tensor("token_embd.weight", t["model.embed_tokens.weight"])
    for l in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % l
        q, k = t[p + "self_attn.q_proj.weight"], t[p + "self_attn.k_proj.weight"]
        if arch == "llama":
            q, k = permute(q, heads), permute(k, kv_heads)
        b = "blk.%d." % l
        w.add_tensor(b + "attn_norm.weight", t[p + "input_layernorm.weight"])
        w.add_tensor(b + "attn_q.weight", q)
        w.add_tensor(b + "attn_k.weight", k)
        w.add_tensor(b + "attn_v.weight", t[p + "self_attn.v_proj.weight"])
        if arch == "qwen2":
            for g, h in (("q", "q_proj"), ("k", "k_proj"), ("v", "v_proj")):
                w.add_tensor(b + "attn_%s.bias" % g, t[p + "self_attn.%s.bias" % h])
        w.add_tensor(b + "attn_output.weight", t[p + "self_attn.o_proj.weight"])
        w.add_tensor(b + "ffn_norm.weight", t[p + "post_attention_layernorm.weight"])
        w.add_tensor(b + "ffn_gate.weight", t[p + "mlp.gate_proj.weight"])
        w.add_tensor(b + "ffn_up.weight", t[p + "mlp.up_proj.weight"])
        w.add_tensor(b + "ffn_down.weight", t[p + "mlp.down_proj.weight"])
    w.add_tensor("output_norm.weight", t["model.norm.weight"])
    if "lm_head.weight" in t:
        w.add_tensor("output.weight", t["lm_head.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    for model in ("llama3-rope", "linear-rope", "yarn-rope", "head-dim", "qwen2-bias"):
        convert(model)
