#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parses tool output for bench/run.sh and writes the benchmark report.

  report.py tcp FILE.json       -> "GBIT_PER_S BYTES_RECEIVED" (iperf3 -J, TCP)
  report.py udp FILE.json       -> "KPPS_RECEIVED LOSS_PERCENT" (iperf3 -J -u)
  report.py sockperf FILE.txt   -> "P50_US P99_US" (sockperf ping-pong --full-rtt)
  report.py report DIR [...]    -> DIR/table.txt (printed), results.json, chart.png
"""
import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

# metric -> (label, unit, higher is better, ratios meaningful)
METRICS = {
    "tcp1_fwd_gbps": ("TCP1 A->B", "Gbit/s", True, True),
    "tcp1_rev_gbps": ("TCP1 B->A", "Gbit/s", True, True),
    "tcp4_gbps": ("TCP4 A->B", "Gbit/s", True, True),
    "udp64_kpps": ("UDP 64B rx", "kpps", True, True),
    "udp64_loss_pct": ("UDP 64B loss", "%", False, False),
    "lat_p50_us": ("RTT p50", "us", False, True),
    "lat_p99_us": ("RTT p99", "us", False, True),
    "cpu_s_per_gb": ("tunnel CPU", "s/GB", False, True),
    "sys_s_per_gb": ("kernel CPU", "s/GB", False, True),
    "idle_cpu_pct": ("idle CPU per process", "%", False, False),
    "rss_idle_kb": ("RSS idle", "KiB", False, False),
    "rss_after_kb": ("RSS after load", "KiB", False, False),
}
USERSPACE_PEERS = ("openvpn", "wireguard-go", "fastd", "socat")
UFOU = "ufou-fou"
# Shown next to UFOU in the targets, for comparison: (peer, column heading).
TARGET_COLUMNS = ((UFOU, "fou"), ("ufou-gue", "gue"), ("ufou-fou-csum", "fou-csum"),
                  ("ufou-fou-poll", "fou -b 50"), ("ufou-fou6", "fou6"))
# The eBPF fast path's targets (issue 10), its rows and the TUN path's fou for comparison.
FAST_COLUMNS = (("ufou-bpf-fou", "bpf fou"), ("ufou-bpf-gue", "bpf gue"),
                ("ufou-bpf-fou6", "bpf fou6"), ("ufou-bpf-fou6-csum", "fou6 csum"),
                (UFOU, "tun fou"))


def fail(msg):
    print("report.py: " + msg, file=sys.stderr)
    sys.exit(1)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: %s" % (path, e))


def cmd_tcp(path):
    j = load_json(path)
    if "error" in j and "end" not in j:
        fail(j["error"])
    r = j.get("end", {}).get("sum_received")
    if not r or not r.get("seconds"):
        fail("no sum_received in " + path)
    print("%.3f %d" % (r["bits_per_second"] / 1e9, r["bytes"]))


def cmd_udp(path):
    j = load_json(path)
    end = j.get("end", {})
    r = end.get("sum_received") or end.get("sum")
    if not r or not r.get("seconds") or "packets" not in r:
        fail(j.get("error", "no UDP summary in " + path))
    got = r["packets"] - r.get("lost_packets", 0)
    loss = 100.0 * r.get("lost_packets", 0) / r["packets"] if r["packets"] else 100.0
    print("%.1f %.2f" % (got / r["seconds"] / 1e3, loss))


def cmd_sockperf(path):
    with open(path, errors="replace") as f:
        text = f.read()
    pct = dict(re.findall(r"percentile\s+([0-9.]+)\s*=\s*([0-9.]+)", text))
    if "50.000" not in pct or "99.000" not in pct:
        fail("no percentiles in " + path)
    print("%.2f %.2f" % (float(pct["50.000"]), float(pct["99.000"])))


# ---------------------------------------------------------------------------

def read_tsv(path):
    rows = []
    try:
        with open(path) as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                parts = line.rstrip("\n").split("\t")
                rows.append(dict(zip(header, parts + [""] * (len(header) - len(parts)))))
    except OSError:
        pass
    return rows


def fnum(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return None if math.isnan(v) else v


def fmt(v, width=0):
    if v is None:
        s = "n/a"
    elif abs(v) >= 1000:
        s = "%.0f" % v
    elif abs(v) >= 100:
        s = "%.1f" % v
    elif abs(v) >= 1:
        s = "%.2f" % v
    else:
        s = "%.3f" % v
    return s.rjust(width) if width else s


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def build(outdir, meta):
    peers = read_tsv(os.path.join(outdir, "peers.tsv"))
    raw = read_tsv(os.path.join(outdir, "raw.tsv"))
    order = [p["peer"] for p in peers]
    res = {}
    for p in peers:
        res[p["peer"]] = {"status": p["status"], "reason": p.get("reason", ""), "metrics": {}}
    vals = {}
    for row in raw:
        v = fnum(row["value"])
        if v is None or row["peer"] not in res:
            continue
        vals.setdefault((row["peer"], row["metric"]), []).append(v)
    for (peer, metric), vs in vals.items():
        res[peer]["metrics"][metric] = {"median": statistics.median(vs), "rounds": vs}

    def med(peer, metric):
        m = res.get(peer, {}).get("metrics", {}).get(metric)
        return m["median"] if m else None

    for peer in order:
        for metric, m in res[peer]["metrics"].items():
            if METRICS.get(metric, ("", "", True, False))[3]:
                m["x_direct"] = ratio(m["median"], med("direct", metric))
                m["x_vxlan"] = ratio(m["median"], med("vxlan", metric))
    targets = evaluate_targets(med)
    fast = evaluate_fast_targets(med)
    units = {k: {"label": v[0], "unit": v[1], "higher_is_better": v[2]} for k, v in METRICS.items()}
    return {"meta": meta, "metrics": units, "order": order, "peers": res, "targets": targets,
            "fast_targets": fast}


def verdicts(spec, columns, med):
    out = []
    for name, metric, ref, factor, kind in spec:
        t = {"target": name, "metric": metric, "reference": ref}
        for peer, _ in columns:
            v = med(peer, metric)
            need = None if ref is None else ref + factor if kind == "+" else ref * factor
            if v is None or need is None:
                verdict = "n/a"
            else:
                ok = v >= need if kind == ">=" else v <= need
                verdict = "PASS" if ok else "MISS"
            t[peer] = {"value": v, "need": need, "verdict": verdict}
        out.append(t)
    return out


def evaluate_fast_targets(med):
    vx = lambda m: med("vxlan", m)
    di = lambda m: med("direct", m)
    d50 = di("lat_p50_us")
    spec = [
        ("TCP 1 stream A->B >= 1.2 x vxlan", "tcp1_fwd_gbps", vx("tcp1_fwd_gbps"), 1.2, ">="),
        ("TCP 1 stream B->A >= 1.2 x vxlan", "tcp1_rev_gbps", vx("tcp1_rev_gbps"), 1.2, ">="),
        ("TCP 1 stream A->B >= 0.8 x direct", "tcp1_fwd_gbps", di("tcp1_fwd_gbps"), 0.8, ">="),
        ("TCP 1 stream B->A >= 0.8 x direct", "tcp1_rev_gbps", di("tcp1_rev_gbps"), 0.8, ">="),
        ("TCP 4 streams >= 1.2 x vxlan", "tcp4_gbps", vx("tcp4_gbps"), 1.2, ">="),
        ("UDP 64 B pps >= 1.3 x vxlan", "udp64_kpps", vx("udp64_kpps"), 1.3, ">="),
        ("RTT p50 <= direct + 5 us", "lat_p50_us", d50, 5.0, "+"),
        ("CPU/GB <= 0.9 x vxlan (machine kernel time)", "cpu_s_per_gb", vx("sys_s_per_gb"),
         0.9, "<="),
    ]
    return verdicts(spec, FAST_COLUMNS, med)


def evaluate_targets(med):
    best_user = None
    best_name = None
    for p in USERSPACE_PEERS:
        v = med(p, "tcp1_fwd_gbps")
        if v is not None and (best_user is None or v > best_user):
            best_user, best_name = v, p
    d50 = med("direct", "lat_p50_us")
    vx_sys = med("vxlan", "sys_s_per_gb")
    # (name, metric, reference value, factor, kind) kind ">=": v >= factor*ref,
    # "<=": v <= factor*ref, "+": v <= ref + factor
    spec = [
        ("TCP 1 stream A->B >= 0.5 x direct", "tcp1_fwd_gbps", med("direct", "tcp1_fwd_gbps"), 0.5, ">="),
        ("TCP 1 stream B->A >= 0.5 x direct", "tcp1_rev_gbps", med("direct", "tcp1_rev_gbps"), 0.5, ">="),
        ("TCP 1 stream A->B >= 0.65 x vxlan", "tcp1_fwd_gbps", med("vxlan", "tcp1_fwd_gbps"), 0.65, ">="),
        ("TCP 1 stream B->A >= 0.65 x vxlan", "tcp1_rev_gbps", med("vxlan", "tcp1_rev_gbps"), 0.65, ">="),
        ("TCP 4 streams >= 0.5 x direct", "tcp4_gbps", med("direct", "tcp4_gbps"), 0.5, ">="),
        ("UDP 64 B pps >= 1.0 x vxlan", "udp64_kpps", med("vxlan", "udp64_kpps"), 1.0, ">="),
        ("RTT p50 <= direct + 10 us", "lat_p50_us", d50, 10.0, "+"),
        ("CPU/GB <= 1.5 x vxlan kernel s/GB", "cpu_s_per_gb", vx_sys, 1.5, "<="),
        ("TCP 1 stream >= 10 x best userspace (%s)" % (best_name or "none"), "tcp1_fwd_gbps",
         best_user, 10.0, ">="),
    ]
    return verdicts(spec, TARGET_COLUMNS, med)


def cell(m, width=8):
    if not m:
        return "n/a".rjust(width) + " " * 12
    s = fmt(m["median"], width)
    if "x_direct" in m:
        s += " %5s %5s" % (fmt(m.get("x_direct")) if m.get("x_direct") is not None else "-",
                           fmt(m.get("x_vxlan")) if m.get("x_vxlan") is not None else "-")
    else:
        s += " " * 12
    return s


def table(r, micro):
    L = []
    meta = r["meta"]
    L.append("ufou benchmark  %s  kernel %s  %d CPUs  load %s" % (
        meta["date"], meta["kernel"], meta["cpus"], meta["loadavg"]))
    L.append("two namespaces, veth MTU 1500; %d round(s), %d s per test, medians; "
             "cells: value  x direct  x vxlan" % (meta["rounds"], meta["seconds"]))
    groups = [
        ("Throughput", ["tcp1_fwd_gbps", "tcp1_rev_gbps", "tcp4_gbps", "udp64_kpps"]),
        ("Latency and cost", ["lat_p50_us", "lat_p99_us", "cpu_s_per_gb", "sys_s_per_gb"]),
    ]
    W = 22
    for title, metrics in groups:
        L.append("")
        L.append("%-13s" % title + "".join(
            ("%s %s" % (METRICS[m][0], METRICS[m][1])).center(W - 1).rjust(W) for m in metrics))
        L.append("%-13s" % "" + "".join(("%8s %5s %5s" % ("value", "xdir", "xvxl")).rjust(W)
                                         for m in metrics))
        for peer in r["order"]:
            p = r["peers"][peer]
            if p["status"] != "ok":
                L.append("%-13s   n/a: %s" % (peer, p["reason"]))
                continue
            L.append("%-13s" % peer + "".join(
                cell(p["metrics"].get(m)).rjust(W) for m in metrics))
    L.append("")
    L.append("%-13s%14s%14s%14s%14s" % ("Processes", "UDP loss %", "idle CPU %", "RSS idle MiB",
                                        "RSS load MiB"))
    for peer in r["order"]:
        p = r["peers"][peer]
        if p["status"] != "ok":
            continue
        g = lambda k: p["metrics"].get(k, {}).get("median")
        mib = lambda v: None if v is None else v / 1024
        L.append("%-13s%14s%14s%14s%14s" % (peer, fmt(g("udp64_loss_pct")), fmt(g("idle_cpu_pct")),
                                            fmt(mib(g("rss_idle_kb"))), fmt(mib(g("rss_after_kb")))))
    L.append("(tunnel CPU: utime+stime of the tunnel's processes at both ends during TCP 1 A->B;")
    L.append(" for direct and vxlan the whole machine's kernel time (system+irq+softirq).)")
    L.append("")
    L.append("Targets (ufou ipip over fou; gue, fou with encap-csum and fou over IPv6 "
             "for comparison)")
    L.append("%-50s%9s" % ("target", "need") + "".join(
        "%9s %-5s" % (head, "") for _, head in TARGET_COLUMNS).rstrip())
    for t in r["targets"]:
        cols = [t[peer] for peer, _ in TARGET_COLUMNS]
        need = next((c["need"] for c in cols if c["need"] is not None), None)
        L.append("%-50s%9s" % (t["target"], fmt(need)) + "".join(
            "%9s %-5s" % (fmt(c["value"]), c["verdict"].replace("n/a", "-"))
            for c in cols).rstrip())
    L.append("")
    L.append("Fast-path targets (ufoud -D bpf, default link settings; fou6 with "
             "noencap-udp6-csum, and with Linux's default checksum for comparison)")
    L.append("%-50s%9s" % ("target", "need") + "".join(
        "%9s %-5s" % (head, "") for _, head in FAST_COLUMNS).rstrip())
    for t in r.get("fast_targets", []):
        cols = [t[peer] for peer, _ in FAST_COLUMNS]
        need = next((c["need"] for c in cols if c["need"] is not None), None)
        L.append("%-50s%9s" % (t["target"], fmt(need)) + "".join(
            "%9s %-5s" % (fmt(c["value"]), c["verdict"].replace("n/a", "-"))
            for c in cols).rstrip())
    for name, text in micro:
        L.append("")
        L.append("Micro-benchmark %s:" % name)
        L.extend("  " + x for x in text.rstrip("\n").split("\n"))
    return "\n".join(L) + "\n"


def chart(r, outdir):
    if not shutil.which("gnuplot"):
        return "gnuplot missing (apt-get install gnuplot-nox)"
    dat = os.path.join(outdir, "chart.dat")
    with open(dat, "w") as f:
        f.write("# peer tcp1_fwd tcp1_rev tcp4 p50 p99\n")
        for peer in r["order"]:
            p = r["peers"][peer]
            if p["status"] != "ok":
                continue
            g = lambda k: p["metrics"].get(k, {}).get("median")
            row = [g("tcp1_fwd_gbps"), g("tcp1_rev_gbps"), g("tcp4_gbps"), g("lat_p50_us"),
                   g("lat_p99_us")]
            f.write("%s %s\n" % (peer, " ".join("NaN" if v is None else "%g" % v for v in row)))
    gp = os.path.join(outdir, "chart.gp")
    png = os.path.join(outdir, "chart.png")
    with open(gp, "w") as f:
        f.write("""set terminal pngcairo size 1600,560 font ",10"
set output "%(png)s"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics rotate by -30
set multiplot layout 1,2 title "ufou benchmark (%(date)s, medians of %(rounds)d round(s))"
set title "Throughput (Gbit/s, higher is better)"
set yrange [0:*]
lab(v) = v >= 10 ? sprintf("%%.0f", v) : sprintf("%%.1f", v)
plot "%(dat)s" using 2:xtic(1) title "TCP 1 A->B", "" using 3 title "TCP 1 B->A", \\
     "" using 4 title "TCP 4 A->B", \\
     "" using ($0-0.25):2:(lab($2)) with labels offset 0,0.5 font ",8" notitle, \\
     "" using ($0):3:(lab($3)) with labels offset 0,0.5 font ",8" notitle, \\
     "" using ($0+0.25):4:(lab($4)) with labels offset 0,0.5 font ",8" notitle
set title "Round-trip latency (us, lower is better)"
set logscale y
set yrange [*:*]
plot "%(dat)s" using 5:xtic(1) title "p50", "" using 6 title "p99", \\
     "" using ($0-0.17):5:(lab($5)) with labels offset 0,0.5 font ",8" notitle, \\
     "" using ($0+0.17):6:(lab($6)) with labels offset 0,0.5 font ",8" notitle
unset multiplot
""" % {"png": png, "dat": dat, "date": r["meta"]["date"], "rounds": r["meta"]["rounds"]})
    p = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if p.returncode != 0:
        return "gnuplot failed: " + p.stderr.strip()[:200]
    return None


def cmd_report(a):
    outdir = a.dir
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = ["?"]
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "kernel": platform.release(),
            "cpus": os.cpu_count() or 0, "loadavg": " ".join(load), "rounds": a.rounds,
            "seconds": a.seconds, "quick": bool(a.quick), "elapsed_s": a.elapsed,
            "udp_payload_bytes": 64}
    r = build(outdir, meta)
    micro = []
    r["micro"] = {}
    try:
        with open(os.path.join(outdir, "bench_encap.json")) as f:
            enc = json.load(f)
        r["micro"]["bench_encap"] = enc
        lines = ["ns per packet, IPv4 outer, ipip inner",
                 "%-9s %6s %10s %10s" % ("encap", "inner", "uf_encap", "uf_decap")]
        for x in enc["results"]:
            lines.append("%-9s %4d B %10.1f %10.1f" % (x["encap"], x["inner_bytes"],
                                                     x["encap_ns"], x["decap_ns"]))
        micro.append(("bench_encap", "\n".join(lines)))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    for name in ("bench_encap", "bench_proto"):
        path = os.path.join(outdir, name + ".txt")
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                text = f.read()
            micro.append((name, text))
            r["micro"][name] = text
    err = chart(r, outdir)
    r["chart"] = None if err else "chart.png"
    text = table(r, micro)
    if err:
        text += "\nchart: %s\n" % err
    with open(os.path.join(outdir, "table.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(r, f, indent=1)
        f.write("\n")
    sys.stdout.write(text)


def main():
    if len(sys.argv) == 3 and sys.argv[1] in ("tcp", "udp", "sockperf"):
        {"tcp": cmd_tcp, "udp": cmd_udp, "sockperf": cmd_sockperf}[sys.argv[1]](sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["report"])
    ap.add_argument("dir")
    ap.add_argument("--rounds", type=int, default=0)
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--quick", type=int, default=0)
    ap.add_argument("--elapsed", type=int, default=0)
    cmd_report(ap.parse_args())


if __name__ == "__main__":
    main()
