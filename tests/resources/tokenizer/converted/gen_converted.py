"""Records the ids transformers gives with tokenizers SparseJ converted (what `convert --to hf` writes), for
ConvertedTokenizerTest (run once; tests never run Python). From the project root, after `mvn package` and
`mvn test-compile`:

    python3 tests/resources/tokenizer/converted/gen_converted.py

It has ConvertedTokenizers write the converted tokenizer.json + tokenizer_config.json of each source, loads each
with transformers' AutoTokenizer (which must pick its tokenizers backend and keep the pipeline as written), and
stores the ids (BOS included as the post-processor adds it) for the SentencePiece reference strings.
"""
import json
import os
import subprocess
import tempfile

import transformers

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with open(os.path.join(HERE, "../sentencepiece/expected.json")) as f:
        strings = json.load(f)["strings"]
    out = {"transformers_version": transformers.__version__, "strings": strings}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["java", "-cp", "target/sparsej.jar:target/test-classes",
                        "org.sparsej.tokenizer.ConvertedTokenizers", tmp], check=True)
        for name in sorted(os.listdir(tmp)):
            tok = transformers.AutoTokenizer.from_pretrained(os.path.join(tmp, name))
            out[name] = {"class": type(tok).__name__, "ids": [tok(s)["input_ids"] for s in strings]}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
