"""Generates the ids SentencePiece gives for varied strings with the two shared tokenizer.model files, for
SentencePieceModelFileTest (run once; tests never run Python).

    python3 tests/resources/tokenizer/sentencepiece/gen_sentencepiece.py   # from the project root
"""
import importlib.util
import json
import os

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "../../../../../shared/models")
MODELS = {"sj7m": "sj-7m/hf/tokenizer.model", "llama2": "llama2-tokenizer/tokenizer.model"}


def strings():
    """The byte-level generator's 600 strings (Unicode whitespace, emoji, CJK, digits, code), plus a few more."""
    path = os.path.join(HERE, "../byte-level/gen_byte_level.py")
    spec = importlib.util.spec_from_file_location("gen_byte_level", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.strings(600) + ["<s>", "</s> x", "<0x41>", "<unk>", "  two", "\u2581x", "a\u0000b"]


def main():
    tests = strings()
    out = {"sentencepiece_version": spm.__version__, "strings": tests}
    for name, rel in MODELS.items():
        sp = spm.SentencePieceProcessor(model_file=os.path.join(SHARED, rel))
        out[name] = [sp.encode(s) for s in tests]
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True)


if __name__ == "__main__":
    main()
