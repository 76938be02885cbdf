#!/usr/bin/env python3
"""One-time developer check (not a test): does the installed transformers load what SparseJ writes and compute
the same thing? For each Hugging Face directory given, it

  1. takes the prompt's token ids from `sparsej tokenize --ids` and, with --tokenizer, checks that
     transformers' AutoTokenizer gives the same ids for every --text string;
  2. runs `sparsej generate --temp 0 --logits 5` (greedy, top-5 logits per step) on those ids' text;
  3. loads the directory with AutoModelForCausalLM (float32, CPU), decodes greedily from the same ids, and
     compares the generated tokens and, at every step, SparseJ's top-5 logits with transformers' logits for the
     same tokens.

Usage: python3 ci/check-transformers.py [--tokenizer] [-n STEPS] DIR...   (after mvn package; prints one line per
directory and exits non-zero on a mismatch). Results are recorded in docs/formats.md.
"""
import argparse
import json
import subprocess
import sys

import torch
import transformers

JAR = "target/sparsej.jar"
PROMPT = "Once upon a time"
TEXTS = ["Once upon a time", "  two  spaces", "Hello, world!", "x = 3.14 * (y + 2)", "naïve café 東京",
         "\ttab\nnewline", "The END.", " leading space"]


def sparsej(*args):
    out = subprocess.run(["java", "-jar", JAR, *args], check=True, capture_output=True, text=True)
    return out.stdout


def check(directory, steps, with_tokenizer):
    problems = []
    ids = [int(t) for t in sparsej("tokenize", "-m", directory, "--ids", PROMPT).split()]
    if with_tokenizer:
        tok = transformers.AutoTokenizer.from_pretrained(directory)
        for text in TEXTS:
            theirs = tok(text)["input_ids"]
            ours = [int(t) for t in sparsej("tokenize", "-m", directory, "--ids", text).split()]
            if theirs != ours:
                problems.append(f"tokenizer: {text!r}: transformers {theirs}, sparsej {ours}")
    rows = [json.loads(line) for line in
            sparsej("generate", "-m", directory, "-p", PROMPT, "-n", str(steps), "--temp", "0", "--logits", "5")
            .splitlines() if line.startswith("{")]
    ours = [r["token"] for r in rows]
    model = transformers.AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]), max_new_tokens=steps, do_sample=False, num_beams=1,
                             pad_token_id=0, eos_token_id=None)
        theirs = out[0, len(ids):].tolist()
        logits = model(out[:, :len(ids) + len(ours)]).logits[0]
    if theirs != ours:
        problems.append(f"greedy tokens differ: transformers {theirs}, sparsej {ours}")
    worst = 0.0
    for step, r in enumerate(rows):
        at = logits[len(ids) - 1 + step]
        for token, value in r["top"]:
            if value is not None:
                worst = max(worst, abs(at[token].item() - value))
    if worst > 1e-3:
        problems.append(f"top-5 logits differ by up to {worst:.2e}")
    kinds = sorted({type(m).__name__ for m in model.modules() if "Linear" in type(m).__name__})
    status = "OK" if not problems else "MISMATCH"
    print(f"{status} {directory}: transformers {transformers.__version__}, torch {torch.__version__}, "
          f"{len(ours)} greedy tokens {'equal' if theirs == ours else 'differ'}, max |logit diff| {worst:.2e} "
          f"over top-5 at each step, modules {kinds}")
    for p in problems:
        print("  " + p)
    return not problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dirs", nargs="+")
    p.add_argument("-n", type=int, default=32)
    p.add_argument("--tokenizer", action="store_true", help="also compare tokenizer ids on a few strings")
    a = p.parse_args()
    ok = all([check(d, a.n, a.tokenizer) for d in a.dirs])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
