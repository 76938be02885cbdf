"""Generates tiny random Hugging Face models and their transformers outputs for HfFeatureModelsTest (run once;
tests never run Python): Llama 3.1 ("llama3"), "linear" and "yarn" RoPE scaling, head_dim apart from
hidden/heads, Qwen2 (q/k/v biases) and Mistral sliding-window attention. Each directory holds config.json and
model.safetensors (F32); reference.json holds, per model, prompt ids, the logits at every prompt position
(float64 forward) and the greedy continuation.

    python3 tests/resources/models/gen_tiny_models.py   # from the project root
"""
import json
import os

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM, Qwen2Config, \
    Qwen2ForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = 96
PROMPT_LEN = 40  # past every original context below, so the scaled frequencies matter
STEPS = 12

COMMON = dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=256, rms_norm_eps=1e-5,
              initializer_range=0.25, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)


def models():
    yield "llama3-rope", LlamaForCausalLM, LlamaConfig(**COMMON, rope_parameters=dict(
        rope_type="llama3", rope_theta=10000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
        original_max_position_embeddings=32))
    yield "linear-rope", LlamaForCausalLM, LlamaConfig(**COMMON, rope_parameters=dict(
        rope_type="linear", rope_theta=10000.0, factor=4.0))
    yield "yarn-rope", LlamaForCausalLM, LlamaConfig(**COMMON, rope_parameters=dict(
        rope_type="yarn", rope_theta=10000.0, factor=4.0, original_max_position_embeddings=32))
    yield "head-dim", LlamaForCausalLM, LlamaConfig(**COMMON, head_dim=24)
    qwen = dict(COMMON, tie_word_embeddings=True)
    yield "qwen2-bias", Qwen2ForCausalLM, Qwen2Config(**qwen, rope_parameters=dict(rope_type="default",
                                                                                  rope_theta=1000000.0))
    yield "mistral-window", MistralForCausalLM, MistralConfig(**COMMON, sliding_window=8, head_dim=16)


def main():
    reference = {"transformers_version": transformers.__version__, "models": {}}
    gen = torch.Generator().manual_seed(3)
    for name, cls, config in models():
        torch.manual_seed(7)
        model = cls(config).eval()
        with torch.no_grad():  # visible biases: transformers initialises them to zero
            for module in model.modules():
                if isinstance(module, torch.nn.Linear) and module.bias is not None:
                    module.bias.normal_(0, 0.5)
        out = os.path.join(HERE, name)
        model.save_pretrained(out, safe_serialization=True)
        prompt = torch.randint(3, VOCAB, (1, PROMPT_LEN), generator=gen)
        m64 = cls.from_pretrained(out, dtype=torch.float64, attn_implementation="eager").eval()
        with torch.no_grad():
            logits = m64(prompt).logits[0]
            greedy = m64.generate(prompt, max_new_tokens=STEPS, do_sample=False, min_new_tokens=STEPS,
                                  eos_token_id=None, pad_token_id=0)[0, PROMPT_LEN:]
        # The margin between the best two logits at each greedy step (a near tie may go either way).
        reference["models"][name] = {
            "prompt_ids": prompt[0].tolist(),
            "logits": [[round(v, 7) for v in row] for row in logits.tolist()],
            "greedy_ids": greedy.tolist(),
        }
        for f in os.listdir(out):
            if f not in ("config.json", "model.safetensors"):
                os.remove(os.path.join(out, f))
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(reference, f)


if __name__ == "__main__":
    main()
