"""Generates the byte-level BPE reference data for ByteLevelReferenceTest (run once; tests never run Python).

Trains three small byte-level BPE vocabularies with the `tokenizers` library, one per pre-tokenizer family
(GPT-2's ByteLevel regex; Llama 3's Split regex with ignore_merges; Qwen2's Split regex behind an NFC normalizer),
plus SmolLM's Digits + ByteLevel, and stores each tokenizer.json with the ids `tokenizers` gives for several hundred
varied strings (Unicode whitespace and punctuation, emoji, CJK, digits, code, contractions, combining marks).

    python3 tests/resources/tokenizer/byte-level/gen_byte_level.py   # from the project root
"""
import json
import os
import random

import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
         r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# Fragments the strings are built from: every Unicode White_Space character and some that are not (ZWSP,
# U+180E, the C0 separators Java calls whitespace), punctuation of several scripts, emoji (ZWJ sequences, flags,
# skin tones), CJK, Hangul as jamo (NFC composes them), combining marks, numbers of every N category, code.
SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\u000b", "\u000c", "\u0085", "\u00a0", "\u1680",
          "\u2000", "\u2003", "\u2007", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b",
          "\u180e", "\u001c", "\u001f", "\ufeff", " \u3000", "  \u3000", "\u3000 "]
WORDS = ["hello", "Hello", "WORLD", "the", "quick", "brown", "fox", "naïve", "café", "Straße", "ſtraße", "İstanbul",
         "ﬁne", "日本語", "中文字符", "한국어", "\u1100\u1161\u11a8", "e\u0301", "a\u0308o", "Ǆemal", "ÅngströM",
         "Ελληνικά", "русский", "עברית", "العربية", "हिन्दी", "ไทย", "x", "I", "a", "don", "we", "they"]
NUMBERS = ["0", "7", "42", "123", "1234", "12345678", "3.14159", "1,000,000", "٣٤٥", "๑๒๓", "²", "½", "Ⅻ", "①",
           "10⁶", "0x1F", "1e-5", "2026-12-01"]
PUNCT = [".", ",", "!", "?", "...", "'", "\"", "'s", "'T", "'re", "'VE", "'m", "'LL", "'d", "'ſ", "--", "—", "–",
         "“", "”", "«", "»", "¿", "¡", "。", "、", "！", "？", "（", "）", "「", "」", "()", "{}", "[]", "<>", "#",
         "@", "$", "%", "^&*", "~", "`", "|", "\\", "/", "+=", "->", "=>", "::", ";", ":", "…", "·", "§", "©", "™",
         "€", "¥", "°", "±", "√", "∞", "≠"]
EMOJI = ["😀", "🙂", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🔥", "🚀", "✨", "🤖", "🧑🏿‍💻", "☃", "⌚"]
CODE = ["def f(x):\n    return x + 1\n", "for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}",
        "if x == 'y':\r\n  pass", "  const s = `${a}`;", "SELECT * FROM t WHERE id=42;", "#include <stdio.h>",
        "fn main() { println!(\"hi\"); }", "x  = 1  # two spaces", "a\tb\t\tc", "{\"key\": [1, 2, 3]}",
        "https://example.com/path?q=1&r=2", "user@example.com", "C:\\Users\\me", "    indented\n        more"]
FIXED = ["x  \u3000y", "", " ", "  ", "\n", "hello world", " leading", "trailing ", "x\u3000\u3000y",
         "a \u00a0b", "I'm sure you're right, they'll see we've done it'd", "DON'T SHOUT", "it's 12345 o'clock",
         "   \n\n   x", "\r\n\r\n", "a\n\n\nb", "tab\t\tend\t", "😀😀😀", "日本語のテキスト、です。", "ǅ", "ﬃ",
         "e\u0301\u0301", "\u0041\u030a", "Ω\u2126", "1 2 3", "12 345 6789", "x" * 300, " " * 50 + "y",
         "\u3000" * 5 + "z", "'", "''", "'s", "a's", "\u2028line\u2029para"]


def strings(n):
    rng = random.Random(12)
    out = list(FIXED)
    pools = [SPACES, WORDS, NUMBERS, PUNCT, EMOJI, CODE]
    weights = [4, 6, 2, 3, 1, 1]
    while len(out) < n:
        parts = []
        for _ in range(rng.randint(1, 9)):
            parts.append(rng.choice(rng.choices(pools, weights)[0]))
        out.append("".join(parts))
    return out


def corpus():
    text = open(os.path.join(HERE, "../../../../../shared/data/sj-corpus/eval-shakespeare.txt"),
                encoding="utf-8").read()[:20000]
    extra = strings(400)  # the trainer sees every fragment, so merges cover them
    return [text] + extra + ["".join(WORDS + NUMBERS + PUNCT + EMOJI + CODE)] * 3


def build(name, pre, normalizer=None, ignore_merges=False, vocab=700):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus(), trainer)
    os.makedirs(os.path.join(HERE, name), exist_ok=True)
    tok.save(os.path.join(HERE, name, "tokenizer.json"))
    return tok


def main():
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    toks = {
        "gpt2": build("gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)),
        "llama3": build("llama3", pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(LLAMA3), "isolated"), byte_level]), ignore_merges=True),
        "qwen2-nfc": build("qwen2-nfc", pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(QWEN2), "isolated"), byte_level]), normalizer=normalizers.NFC()),
        "smollm": build("smollm", pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True),
             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])),
    }
    tests = strings(600)
    ref = {"tokenizers_version": tokenizers.__version__, "strings": tests}
    for name, tok in toks.items():
        ref[name] = [tok.encode(s, add_special_tokens=False).ids for s in tests]
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(ref, f, ensure_ascii=True)


if __name__ == "__main__":
    main()
