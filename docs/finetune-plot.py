"""Plots held-out perplexity against steps from the finetune.csv files sparsej finetune writes, as an SVG.

Standard library only. Usage: python3 docs/finetune-plot.py OUT.svg LABEL=run1/finetune.csv [LABEL=run2.csv ...]
The x axis is training time in minutes when --minutes is given first, else steps.
"""
import csv
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
W, H, L, R, T, B = 640, 400, 60, 170, 20, 45


def series(path, by_minutes):
    points = []
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["heldout_ppl"]:
                x = float(row["seconds"]) / 60 if by_minutes else int(row["step"])
                points.append((x, float(row["heldout_ppl"])))
    return points


def main(argv):
    by_minutes = argv[1:2] == ["--minutes"]
    args = argv[2:] if by_minutes else argv[1:]
    out, runs = args[0], [a.split("=", 1) for a in args[1:]]
    data = [(label, series(path, by_minutes)) for label, path in runs]
    xs = [x for _, pts in data for x, _ in pts]
    ys = [y for _, pts in data for _, y in pts]
    x0, x1 = 0, max(xs) or 1
    y0, y1 = min(ys) * 0.97, max(ys) * 1.03
    sx = lambda x: L + (x - x0) / (x1 - x0) * (W - L - R)
    sy = lambda y: T + (y1 - y) / (y1 - y0) * (H - T - B)
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="12">' % (W, H), '<rect width="100%" height="100%" fill="white"/>']
    for i in range(6):
        y = y0 + (y1 - y0) * i / 5
        svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (L, W - R, sy(y), sy(y)))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (L - 5, sy(y) + 4, y))
        x = x0 + (x1 - x0) * i / 5
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (sx(x), H - B + 16,
                                                                           ("%.1f" % x) if by_minutes else int(x)))
    svg.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((L + W - R) / 2, H - 8,
                                                                       "minutes" if by_minutes else "step"))
    svg.append('<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">held-out perplexity</text>'
               % ((T + H - B) / 2, (T + H - B) / 2))
    for i, (label, pts) in enumerate(data):
        c = COLOURS[i % len(COLOURS)]
        svg.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                   % (c, " ".join("%.1f,%.1f" % (sx(x), sy(y)) for x, y in pts)))
        svg.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>'
                   % (W - R + 10, W - R + 30, T + 10 + 18 * i, T + 10 + 18 * i, c))
        svg.append('<text x="%d" y="%d">%s</text>' % (W - R + 35, T + 14 + 18 * i, label))
    svg.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main(sys.argv)
