#!/usr/bin/env python3
"""Writes the PyTorch-autograd reference that tests/org/sparsej/train/TorchReferenceTest.java checks SparseJ's
hand-written backward pass against. Run once (python3 make_reference.py, from this directory); the tests read its
small output files and never run Python.

Each case is a tiny random model written as a Hugging Face directory (SparseJ loads it with its own reader), random
token windows, and the loss and every parameter's gradient computed by transformers' own model in float64:
  llama:   LlamaForCausalLM, tied embeddings, GQA (4 heads, 2 kv), llama3 RoPE scaling, half the linear weights zeroed
           (the student's fixed mask); losses ce, kd and kd+squarehead against a random teacher of the same shape.
  qwen2:   Qwen2ForCausalLM (q/k/v biases), untied classifier; ce.
  mistral: MistralForCausalLM with a sliding window of 3 positions; ce.
Loss definitions (they match org.sparsej.train.LossSpec): kd = T^2 * KL(p_t || p_s) at temperature T, mean over
tokens; squarehead = mean over blocks of ||h_s - h_t||^2 / ||h_t||^2 over the batch (h = block output);
total = kd + ce_weight * ce + sh_weight * squarehead.
"""
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
T, CE_WEIGHT, SH_WEIGHT = 2.0, 0.25, 1.0


def randomize(model, gen, prune):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
            if prune and name.endswith("proj.weight"):
                p.mul_((torch.rand(p.shape, generator=gen, dtype=torch.float64) >= 0.5).double())
    # Round to float32 so the float32 files hold exactly the values the float64 reference uses.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float().double())


def save_model(model, directory, config_class_name):
    os.makedirs(directory, exist_ok=True)
    model.config.save_pretrained(directory)
    tensors = {}
    for name, p in model.named_parameters():
        if name == "lm_head.weight" and model.config.tie_word_embeddings:
            continue
        tensors[name] = p.detach().float().contiguous()
    save_file(tensors, os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})


def block_outputs(model):
    outs = []
    hooks = [layer.register_forward_hook(lambda m, i, o: outs.append(o[0] if isinstance(o, tuple) else o))
             for layer in model.model.layers]
    return outs, hooks


def losses(student, teacher, tokens, kind):
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    s_out, s_hooks = block_outputs(student)
    zs = student(input_ids=inputs).logits
    for h in s_hooks:
        h.remove()
    ce = F.cross_entropy(zs.reshape(-1, zs.shape[-1]), targets.reshape(-1))
    if kind == "ce":
        return ce, {"ce": ce.item()}
    with torch.no_grad():
        t_out, t_hooks = block_outputs(teacher)
        zt = teacher(input_ids=inputs).logits
        for h in t_hooks:
            h.remove()
    log_ps = F.log_softmax(zs / T, -1)
    log_pt = F.log_softmax(zt / T, -1)
    kd = (log_pt.exp() * (log_pt - log_ps)).sum(-1).mean() * T * T
    total = kd + CE_WEIGHT * ce
    parts = {"ce": ce.item(), "kd": kd.item()}
    if kind == "kd+squarehead":
        sh = sum(((s - t) ** 2).sum() / (t ** 2).sum() for s, t in zip(s_out, t_out)) / len(s_out)
        total = total + SH_WEIGHT * sh
        parts["squarehead"] = sh.item()
    return total, parts


def case(name, model_class, config, prune, kinds, seed, batch=2, seq=7):
    gen = torch.Generator().manual_seed(seed)
    student = model_class(config).double().eval()
    randomize(student, gen, prune)
    out = os.path.join(HERE, name)
    save_model(student, os.path.join(out, "student"), model_class.__name__)
    teacher = None
    if any(k != "ce" for k in kinds):
        teacher = model_class(config).double().eval()
        randomize(teacher, gen, False)
        save_model(teacher, os.path.join(out, "teacher"), model_class.__name__)
    tokens = torch.randint(0, config.vocab_size, (batch, seq + 1), generator=gen)
    summary = {"tokens": tokens.tolist(), "temperature": T, "ce_weight": CE_WEIGHT, "squarehead_weight": SH_WEIGHT,
               "losses": {}}
    for kind in kinds:
        student.zero_grad()
        total, parts = losses(student, teacher, tokens, kind)
        total.backward()
        parts["total"] = total.item()
        summary["losses"][kind] = parts
        grads = {}
        for pname, p in student.named_parameters():
            if pname == "lm_head.weight" and config.tie_word_embeddings:
                continue
            grads[pname] = p.grad.detach().float().contiguous()
        save_file(grads, os.path.join(out, "grad-" + kind.replace("+", "-") + ".safetensors"))
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")


def main():
    torch.manual_seed(0)
    common = dict(rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=32, attn_implementation="eager")
    case("llama", LlamaForCausalLM, LlamaConfig(
        vocab_size=67, hidden_size=32, intermediate_size=44, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, tie_word_embeddings=True,
        rope_scaling={"rope_type": "llama3", "factor": 2.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8}, **common),
        prune=True, kinds=["ce", "kd", "kd+squarehead"], seed=1)
    case("qwen2", Qwen2ForCausalLM, Qwen2Config(
        vocab_size=41, hidden_size=24, intermediate_size=30, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, tie_word_embeddings=False, use_sliding_window=False, **common),
        prune=False, kinds=["ce"], seed=2)
    case("mistral", MistralForCausalLM, MistralConfig(
        vocab_size=37, hidden_size=24, intermediate_size=28, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, tie_word_embeddings=False, sliding_window=3, **common),
        prune=False, kinds=["ce"], seed=3)


if __name__ == "__main__":
    main()
