#!/bin/bash
# docs/finetune-tables.sh WORKDIR: the markdown tables of docs/finetune.md from what docs/finetune-queue.sh leaves
# in WORKDIR (NAME/finetune.json + finetune.csv, NAME.checkpoint/progress.csv, NAME.log, NAME.eval4), on stdout.
# Runs not finished are skipped with one line; their held-out rows so far are shown, marked as partial.
# Dense and reference figures: ../shared/reference/sj-7m-pruning.json (beside the repository, as the queue finds it).
set -u
[ $# -eq 1 ] || { echo "usage: docs/finetune-tables.sh WORKDIR (the directory docs/finetune-queue.sh writes)" >&2; exit 2; }
[ -d "$1" ] || { echo "error: $1: not a directory" >&2; exit 1; }
WORK=$(realpath "$1")
SHARED=$(realpath "$(dirname "$0")/../../shared")
REF=$SHARED/reference/sj-7m-pruning.json
[ -f "$REF" ] || { echo "error: $REF: missing (the dense and reference figures)" >&2; exit 1; }
exec python3 - "$WORK" "$SHARED" <<'PY'
import csv, json, os, re, sys

work, shared = sys.argv[1], sys.argv[2]
FILES = ["eval-fortunes.txt", "eval-kjv.txt", "eval-shakespeare.txt", "eval-wikitext2.txt"]
# The queue's runs (docs/finetune-queue.sh), then any other finished run found in WORKDIR.
QUEUE = ["kd70-3n", "ce70-n", "kdsq70-n", "kd24-n"]
STUDENTS = {"sj7m-sgpt70": ("sparsegpt", "unstructured", 0.7), "sj7m-sgpt24": ("sparsegpt", "2:4", 0.5)}
P = lambda *a: os.path.join(work, *a)


def eval4(name):
    """{file: ppl} from NAME.eval4 lines 'ppl 49.8280 over 39485 tokens (...) eval-fortunes.txt'."""
    out = {}
    if os.path.isfile(P(name + ".eval4")):
        for line in open(P(name + ".eval4")):
            m = re.match(r"ppl ([0-9.]+) over \d+ tokens .* (\S+)$", line.strip())
            if m:
                out[os.path.basename(m.group(2))] = float(m.group(1))
    return out


def reference():
    d = json.load(open(os.path.join(shared, "reference", "sj-7m-pruning.json")))
    pick = lambda r: {f: r[f]["ppl"] for f in FILES if f in r}
    dense = next(pick(r) for r in d["results"] if r["method"] == "dense")
    ref = {s: next((pick(r) for r in d["results"] if (r["method"], r["pattern"], r["sparsity"]) == key), {})
           for s, key in STUDENTS.items()}
    return dense, ref


def heldout(name):
    """([(step, ppl)], 'final' | 'partial' | None, path): a finished run's finetune.csv, else the checkpoint's, else
    the log's lines."""
    for path, kind in ((P(name, "finetune.csv"), "final"), (P(name + ".checkpoint", "progress.csv"), "partial")):
        if os.path.isfile(path):
            rows = [(int(r["step"]), float(r["heldout_ppl"])) for r in csv.DictReader(open(path)) if r["heldout_ppl"]]
            return sorted(dict(rows).items()), kind, path
    if os.path.isfile(P(name + ".log")):
        rows = re.findall(r"step (\d+): held-out ppl ([0-9.]+)", open(P(name + ".log")).read())
        return sorted({int(s): float(v) for s, v in rows}.items()), "partial", P(name + ".log")
    return [], None, None


def run_info(name):
    """Options, training seconds and peak RSS (finetune.json, /usr/bin/time -v lines of NAME.log), or None."""
    js = P(name, "finetune.json")
    if not os.path.isfile(js):
        return None
    j = json.load(open(js))
    info = {"student": j["options"]["student"], "loss": j["options"]["loss"], "steps": j["steps"],
            "seconds": j.get("seconds"), "rss": [j.get("peak_rss_bytes") or 0], "wall": None}
    if os.path.isfile(P(name + ".log")):
        log = open(P(name + ".log")).read()
        info["rss"] += [int(k) * 1024 for k in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", log)]
        wall = 0  # a resumed run has one time -v block per process: the sum is its wall time
        for t in re.findall(r"Elapsed \(wall clock\) time .*: ([0-9:.]+)", log):
            parts = [float(x) for x in t.split(":")]
            wall += sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
        info["wall"] = wall or None
    return info


def state(name):
    """'checkpoint at step S of N' for a run in progress, else ''."""
    st = P(name + ".checkpoint", "state.json")
    if os.path.isfile(st):
        s = json.load(open(st))
        return "checkpoint at step %s of %s" % (s.get("step"), s.get("options", {}).get("steps", "?"))
    return ""


def pct(pruned, tuned, dense):
    return "%.0f%%" % (100 * (pruned - tuned) / (pruned - dense)) if pruned != dense else "—"


dense, ref = reference()
others = sorted(d for d in os.listdir(work) if os.path.isfile(P(d, "finetune.json")) and d not in QUEUE)
runs, skipped = [], []
for name in QUEUE + others:
    info = run_info(name)
    if info is None:
        skipped.append(name)
        print("%s: not finished (%s), skipped" % (name, state(name) or "not started"))
    else:
        runs.append((name, info))
print()

for student in STUDENTS:
    pruned = eval4(student)
    mine = [(n, i, eval4(n)) for n, i in runs if os.path.basename(i["student"].rstrip("/")) == student]
    for n, _, e in mine:
        if not e:
            print("%s: finished, no %s.eval4 yet (the queue evaluates after each run), not in the table" % (n, n))
    mine = [m for m in mine if m[2]]
    if not pruned:
        print("%s: no %s.eval4, its table skipped\n" % (student, student))
        continue
    print("Perplexity, ctx 256 (`sparsej eval ppl -t 2`); student %s; won back = (pruned − tuned) / "
          "(pruned − dense)" % student)
    print()
    head = ["eval file", "dense", "reference", "pruned here"] + ["%s (%s, %d steps)" % (n, i["loss"], i["steps"])
                                                                 for n, i, _ in mine]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for f in FILES:
        cells = [f[:-4], "%.2f" % dense[f], "%.2f" % ref[student][f] if f in ref[student] else "—",
                 "%.2f" % pruned[f] if f in pruned else "—"]
        for n, i, e in mine:
            cells.append("**%.2f** (%s)" % (e[f], pct(pruned[f], e[f], dense[f])) if f in e and f in pruned
                         else "—")
        print("| " + " | ".join(cells) + " |")
    print()

curves = [(n,) + heldout(n) for n in QUEUE + others]
curves = [c for c in curves if c[1]]
if curves:
    steps = sorted({s for c in curves for s, _ in c[1]})
    print("Held-out perplexity (the last 4096 ids of train.txt) against steps")
    print()
    print("| step | " + " | ".join(n + (" (partial)" if k == "partial" else "") for n, _, k, _ in curves) + " |")
    print("|" + "---|" * (len(curves) + 1))
    for s in steps:
        print("| %d | " % s + " | ".join("%.2f" % dict(c[1])[s] if s in dict(c[1]) else "" for c in curves) + " |")
    print()

if runs:
    # training s: finetune.json (resumed parts included); wall clock: the /usr/bin/time -v blocks in NAME.log,
    # one per process that ended by itself (a killed or stopped process leaves none), so a resumed run's may be less.
    print("| run | student | loss | steps | training s | wall clock s (logged processes) | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for n, i in runs:
        print("| %s | %s | %s | %d | %s | %s | %s |" % (n, os.path.basename(i["student"]), i["loss"], i["steps"],
              "%.0f" % i["seconds"] if i["seconds"] else "—", "%.0f" % i["wall"] if i["wall"] else "—",
              "%.0f" % (max(i["rss"]) / 1e6) if max(i["rss"]) else "—"))
    print()

csvs = [(n, path) for n, _, _, path in curves if path.endswith(".csv")]
if csvs:
    print("Plot: python3 docs/finetune-plot.py finetune-heldout.svg " + " ".join("%s=%s" % c for c in csvs))
PY
