#!/usr/bin/python3
"""results.py BENCH_OUT RESULTS_JSON: the figures of one `make bench` run
(the NAME VALUE UNIT CONDITIONS lines the bench scripts wrote) as JSON,
each with the goal of issue 12 beside it where there is one and whether
it was met, and the same table printed.  Never fails on a missed goal."""
import json, os, sys, time

# name: (comparison, goal value, how the goal reads)
GOALS = {
    "import.rate": (">=", 5000, ">= 5000 mails/s"),
    "import.python_ratio": ("<=", 0.25, "<= 0.25 x Python parse-only time"),
    "import.python_ratio.cpu": ("<=", 0.25, "<= 0.25 x Python parse-only time"),
    "import.rate.cpu": (">=", 5000, ">= 5000 mails/s"),
    "import.rate.1m_ratio": (">=", 0.8, ">= 80 % of the empty-database rate"),
    "lmtp.rate": (">=", 2000, ">= 2000 mails/s"),
    "lmtp.rate.cpu": (">=", 2000, ">= 2000 mails/s"),
    "lmtp.ack_latency.p50": ("<=", 50, "<= 50 ms"),
    "lmtp.ack_latency.p99": ("<=", 200, "<= 200 ms"),
    "deliver.rate.w1": (">=", 300, ">= 300 mails/s"),
    "deliver.rate.w2": (">=", 300, ">= 300 mails/s"),
    "flush.rate": (">=", 2000, ">= 2000 mails/s"),
    "status.customer.p50": ("<=", 10, "<= 10 ms"),
    "status.staff_list.p50": ("<=", 10, "<= 10 ms"),
    "status.search.p50": ("<=", 50, "<= 50 ms"),
    "import.disk_ratio": ("<=", 1.5, "<= 1.5 x raw mail size"),
    "import.disk_ratio.mail": ("<=", 1.5, "<= 1.5 x raw (raw + text + index)"),
    "lmtp.disk_ratio": ("<=", 1.5, "<= 1.5 x raw mail size"),
    "lmtp.daemon.rss.idle": ("<=", 16, "<= 16 MB idle"),
    "daemon.rss.idle": ("<=", 16, "<= 16 MB idle"),
}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    figs = []
    with open(src) as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 3)
            if len(parts) < 3:
                continue
            name, value, unit = parts[:3]
            cond = parts[3] if len(parts) > 3 else ""
            try:
                v = float(value)
            except ValueError:
                v = None
            figs.append({"name": name, "value": v if v is not None else value,
                         "unit": unit, "conditions": cond})
    by = {f["name"]: f for f in figs}
    # Flat after 10 000 mails: within 25 % (and 4 MiB) of the idle figure.
    idle, after = by.get("lmtp.daemon.rss.idle"), by.get("lmtp.daemon.rss.after")
    if idle and after and isinstance(idle["value"], float) and isinstance(after["value"], float):
        lim = max(idle["value"] * 1.25, idle["value"] + 4)
        after["goal"] = "flat: <= %.1f MiB (idle + 25 %%)" % lim
        after["met"] = after["value"] <= lim
    for f in figs:
        g = GOALS.get(f["name"])
        if g and isinstance(f["value"], float):
            op, gv, text = g
            f["goal"] = text
            f["met"] = f["value"] >= gv if op == ">=" else f["value"] <= gv
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    with open(dst, "w") as f:
        json.dump({"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "figures": figs}, f, indent=2)
        f.write("\n")
    print("# figure                    value  unit      goal")
    for f in figs:
        mark = "" if "met" not in f else ("  met" if f["met"] else "  MISSED")
        print("%-24s %10s  %-8s  %s%s" % (f["name"], f["value"], f["unit"], f.get("goal", "-"), mark))
    print("# written to %s" % dst)


main()
