#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Prometheus textfile exporter, `ufou --prometheus`, read by a real
# exposition-format parser (python3-prometheus-client's
# text_string_to_metric_families):
#
#   HA pr1 198.19.1.1 (ipip over FOU 5555)        HB pr1 198.19.1.2
#   HA pr2 fd00:1:2::1 (ip6tnl over GUE -6 5556)  HB pr2 fd00:1:2::2
#   HA eth0 ====================== veth ====================== HB eth0
#
# After pings through both tunnels and a malformed datagram to HB's port
# 5555: every family of HB's scrape has HELP and TYPE, names are valid,
# counters end in _total, no sample repeats; each counter equals the same
# counter of `ufou -s -s -j link show` / `fou show` (the per-path split and
# its sum, drops and hand-overs by reason), taken while nothing moves; the
# counters that traffic moved are not 0. Then the refusals: a command that
# is no show, -j with --prometheus, a link that does not exist.

source "$(dirname "$0")/../netns/lib.sh"

require_root
require_binaries
for c in ip jq ping; do require_command "$c"; done
# Debian's python3-prometheus-client is for Debian's python3.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! "$PY" -c 'import prometheus_client' 2>/dev/null; then
	log_skip "prometheus exporter" "no prometheus_client for $PY (scripts/deps.sh tools)"
	exit "$ksft_skip"
fi

if ! { setup_two_hosts && start_ufoud "$HA" && start_ufoud "$HB"; }; then
	RET=1; retmsg="setup failed"; log_test "setup"; exit 1
fi
tunnel_pair pr1 1 4 4 5555 "ipproto 4" "ipip" "encap fou"
tunnel_pair pr2 2 6 6 5556 "gue -6" "ip6tnl mode ip6ip6" "encap gue"
slowwait 5 ping_ok "$HA" 198.19.1.2 && slowwait 5 ping_ok "$HA" fd00:1:2::2
check_err $? "no ping through pr1 / pr2"
# A FOU datagram with no room for an inner header: dropped, counted by reason.
d0=$(port_drops_total "$HB" 5555)
send_udp "$HA" 198.18.0.1 0 198.18.0.2 5555 00
busywait 2000 _counter_ge $((d0 + 1)) port_drops_total "$HB" 5555 >/dev/null
check_err $? "HB port 5555 drop counters did not move"
log_test "traffic through two tunnels, one malformed datagram"

# quiet_scrape DIR: HB's scrape and JSON in DIR, taken between two scrapes
# that are the same (nothing moved meanwhile, so they must agree).
quiet_scrape()
{
	local d=$1
	ufou_in "$HB" --prometheus >"$d/a.prom" &&
		ufou_in "$HB" -s -s -j link show >"$d/links.json" &&
		ufou_in "$HB" -s -s -j fou show >"$d/ports.json" &&
		ufou_in "$HB" --prometheus >"$d/b.prom" &&
		cmp -s "$d/a.prom" "$d/b.prom"
}
slowwait 10 quiet_scrape "$TMPD"
check_err $? "no two scrapes in a row were the same"
log_test "a quiet scrape"

run_cmd "$PY" - "$TMPD/a.prom" "$TMPD/links.json" "$TMPD/ports.json" <<'EOF'
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
links = {l["ifname"]: l for l in json.load(open(sys.argv[2]))}
ports = json.load(open(sys.argv[3]))
bad = []
fams = list(text_string_to_metric_families(text))
name_re = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
seen = set()
samples = {}          # sample name -> [(labels, value)]
for f in fams:
    if not f.documentation:
        bad.append("%s: no HELP" % f.name)
    if f.type not in ("counter", "gauge"):
        bad.append("%s: TYPE %s" % (f.name, f.type))
    if not f.samples:
        continue
    for s in f.samples:
        if not name_re.match(s.name):
            bad.append("bad name %r" % s.name)
        if f.type == "counter" and not s.name.endswith("_total"):
            bad.append("counter sample %s without _total" % s.name)
        key = (s.name, tuple(sorted(s.labels.items())))
        if key in seen:
            bad.append("sample twice: %r" % (key,))
        seen.add(key)
        samples.setdefault(s.name, []).append((s.labels, s.value))

def pick(name, **want):
    """The samples of name whose labels include want."""
    return [v for l, v in samples.get(name, []) if all(l.get(k) == x for k, x in want.items())]

def one(name, **want):
    v = pick(name, **want)
    if len(v) != 1:
        bad.append("%s %r: %d samples" % (name, want, len(v)))
        return None
    return v[0]

def same(what, prom, js):
    if prom != js:
        bad.append("%s: prometheus %s, json %s" % (what, prom, js))

checked = 0
for name, l in links.items():
    st = l["stats64"]
    dp = st["datapath"]
    kind = l["linkinfo"]["info_kind"]
    enc = l["linkinfo"]["info_data"]["encap"]["type"]
    lab = dict(link=name, kind=kind, encap=enc)
    for d, tot in (("rx", "receive"), ("tx", "transmit")):
        for unit in ("packets", "bytes"):
            m = "ufou_link_%s_%s_total" % (tot, unit)
            parts = pick(m, **lab)
            same("%s %s sum over datapath" % (name, m), sum(parts), st[d][unit])
            for path in ("bpf", "tun"):
                same("%s %s{datapath=%s}" % (name, m, path), one(m, datapath=path, **lab),
                     dp[d][path][unit])
                checked += 1
    for m, js in (("ufou_link_receive_csum_completed_total", st["rx"]["csum_completed"]),
                  ("ufou_link_icmp_sent_total", st["tx"]["icmp_sent"]),
                  ("ufou_link_transmit_fragmented_total", st["tx"]["fragmented"]),
                  ("ufou_link_transmit_gso_total", st["tx"]["gso"])):
        same("%s %s" % (name, m), one(m, **lab), js)
        checked += 1
    for reason, v in st["drops"].items():
        p = pick("ufou_link_receive_drops_total", reason=reason, **lab) + \
            pick("ufou_link_transmit_drops_total", reason=reason, **lab)
        if len(p) != 1:
            bad.append("%s drop %s: %d samples" % (name, reason, len(p)))
        same("%s drop %s" % (name, reason), sum(p), v)
        checked += 1
    n = len(pick("ufou_link_receive_drops_total", **lab)) + \
        len(pick("ufou_link_transmit_drops_total", **lab))
    same("%s number of drop reasons" % name, n, len(st["drops"]))
    for d in ("rx", "tx"):
        for reason, v in dp["handover"][d].items():
            same("%s handover %s %s" % (name, d, reason),
                 one("ufou_link_fastpath_handovers_total", direction=d, reason=reason, **lab), v)
            checked += 1
    same("%s mtu" % name, one("ufou_link_mtu_bytes", **lab), l["mtu"])
    same("%s up" % name, one("ufou_link_up", **lab), 1 if "UP" in l["flags"] else 0)
    same("%s info" % name, one("ufou_link_info", datapath=l["datapath"], **lab), 1)
    if sum(pick("ufou_link_receive_packets_total", **lab)) == 0:
        bad.append("%s: no packets received, the traffic did not count" % name)

for p in ports:
    st = p["stats64"]
    dp = st["datapath"]
    lab = dict(port=str(p["port"]), family=p["family"])
    for unit in ("packets", "bytes"):
        m = "ufou_port_receive_%s_total" % unit
        same("port %s %s sum" % (lab, m), sum(pick(m, **lab)), st["rx"][unit])
        for path in ("bpf", "tun"):
            same("port %s %s{datapath=%s}" % (lab, m, path), one(m, datapath=path, **lab),
                 dp["rx"][path][unit])
            checked += 1
    for reason, v in st["drops"].items():
        same("port %s drop %s" % (lab, reason),
             one("ufou_port_receive_drops_total", reason=reason, **lab), v)
        checked += 1
    same("port %s number of drop reasons" % lab,
         len(pick("ufou_port_receive_drops_total", **lab)), len(st["drops"]))
    for reason, v in dp["handover"]["rx"].items():
        same("port %s handover %s" % (lab, reason),
             one("ufou_port_fastpath_handovers_total", reason=reason, **lab), v)
        checked += 1
if sum(pick("ufou_port_receive_drops_total", port="5555", family="inet")) == 0:
    bad.append("port 5555: the malformed datagram is not counted")
if len(links) != 2 or len(ports) != 2:
    bad.append("json has %d links, %d ports; want 2 and 2" % (len(links), len(ports)))
for b in bad[:20]:
    print(b)
print("%d families, %d samples, %d counters compared, %d problems"
      % (len(fams), len(seen), checked, len(bad)))
sys.exit(1 if bad else 0)
EOF
rc=$?
diag "$(tail -n 1 <<<"$CMD_OUT")"
check_err $rc "scrape vs JSON: $CMD_OUT"
log_test "scrape parses; HELP, TYPE, names; every counter equals ufou -s -s -j's"

# One object at a time: link show NAME and fou show give those families only.
out=$(ufou_in "$HB" --prometheus link show pr1)
check_err $? "--prometheus link show pr1: $out"
grep -q '^ufou_link_receive_packets_total{link="pr1",kind="ipip",encap="fou",datapath="tun"} ' <<<"$out" &&
	! grep -q 'link="pr2"\|^ufou_port_' <<<"$out"
check_err $? "--prometheus link show pr1 has other links or ports: $(head -c 400 <<<"$out")"
out=$(ufou_in "$HB" --prometheus fou show)
grep -q '^ufou_port_receive_packets_total{port="5556",family="inet6",encap="gue",datapath="tun"} ' <<<"$out" &&
	! grep -q '^ufou_link_' <<<"$out"
check_err $? "--prometheus fou show: $(head -c 400 <<<"$out")"
log_test "link show NAME and fou show scrape one object"

run_cmd ufou_in "$HB" --prometheus link del pr1
check_fail $? "--prometheus link del pr1 succeeded: $CMD_OUT"
ip -n "$HB" link show dev pr1 >/dev/null 2>&1
check_err $? "--prometheus link del removed pr1"
run_cmd ufou_in "$HB" -j --prometheus
check_fail $? "-j --prometheus succeeded: $CMD_OUT"
run_cmd ufou_in "$HB" --prometheus link show nosuch
check_fail $? "--prometheus link show nosuch succeeded: $CMD_OUT"
grep -q 'link "nosuch" not found' <<<"$CMD_OUT"
check_err $? "--prometheus link show nosuch: $CMD_OUT"
log_test "refusals: no show, -j with it, an unknown link"

exit "$EXIT_STATUS"
