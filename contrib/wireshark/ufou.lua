-- SPDX-License-Identifier: GPL-2.0
--
-- ufou.lua: Wireshark dissectors for Foo-over-UDP (FOU) and Generic UDP
-- Encapsulation (GUE) as Linux's fou/fou6 modules (and ufou) send them.
--
--   GUE (draft-ietf-intarea-gue, Linux include/net/gue.h):
--     variant 0: |Ver|C| Hlen | Proto/ctype | Flags ...P|, then, when P,
--                32 bits of private flags; when their R bit (REMCSUM) is
--                set, 16-bit csum start and 16-bit csum offset.
--     variant 1: a bare IPv4/IPv6 packet ("direct IP", Ver=01).
--   FOU: no header at all; the receiving UDP port says what is inside.
--
-- Neither has a fixed port. Preferences say which UDP ports carry what:
--   fou.ports  "5555:4,5541:ipv6,5547:gre"  (PORT:IPPROTO, as `ip fou add`
--              and `ufou decode --fou`: number, ipip/ip, ipv6/sit, gre)
--   gue.ports  "5556,5558"                  (a port range, as `ufou decode --gue`)
-- As with the kernel's receive path, the UDP destination port decides.
-- "Decode As" on udp.port offers GUE and FOU-IPIP / FOU-IPV6 / FOU-GRE.
--
-- Headers Linux would drop get expert info and a gue.drop field named as
-- `ufou decode` names the reason; their payload is shown as data. With remote
-- checksum offload the inner packet is handed on with its checksum completed
-- (as the receiver does), in a data source of its own.
--
-- Install: copy to ~/.local/lib/wireshark/plugins/ (or the global Lua
-- plugin folder, `tshark -G folders`), or `tshark -X lua_script:ufou.lua`.

local ipproto_table = DissectorTable.get("ip.proto")
local udp_table = DissectorTable.get("udp.port")
local ip_dissector = Dissector.get("ip")
local ipv6_dissector = Dissector.get("ipv6")
local data_dissector = Dissector.get("data")

local ipproto_names = {
	[4] = "IPv4 (ipip)", [41] = "IPv6 (sit, ip6tnl)", [47] = "GRE",
	[6] = "TCP", [17] = "UDP", [1] = "ICMP", [58] = "ICMPv6",
}

---------------------------------------------------------------- GUE

local gue = Proto("gue", "Generic UDP Encapsulation")

local version_names = { [0] = "0 (GUE header)", [1] = "1 (direct IP)",
	[2] = "2 (unknown)", [3] = "3 (unknown)" }

local f = {
	version   = ProtoField.uint8("gue.version", "Version", base.DEC, version_names, 0xc0),
	control   = ProtoField.bool("gue.control", "Control message (C)", 8, nil, 0x20),
	hlen      = ProtoField.uint8("gue.hlen", "Header length (32-bit words after the first)",
				     base.DEC, nil, 0x1f),
	hdr_len   = ProtoField.uint16("gue.header_length", "Header length (bytes)"),
	proto     = ProtoField.uint8("gue.proto", "Protocol", base.DEC, ipproto_names),
	ctype     = ProtoField.uint8("gue.ctype", "Control type"),
	flags     = ProtoField.uint16("gue.flags", "Flags", base.HEX),
	flag_priv = ProtoField.bool("gue.flags.priv", "Private flags present (P)", 16, nil, 0x0001),
	priv      = ProtoField.uint32("gue.priv", "Private flags", base.HEX),
	priv_rcs  = ProtoField.bool("gue.priv.remcsum", "Remote checksum offload (R)", 32, nil,
				    0x80000000),
	rcs_start = ProtoField.uint16("gue.remcsum.start", "Checksum start"),
	rcs_off   = ProtoField.uint16("gue.remcsum.offset", "Checksum offset"),
	rcs_csum  = ProtoField.uint16("gue.remcsum.checksum", "Completed inner checksum", base.HEX),
	drop      = ProtoField.string("gue.drop", "Linux drops this packet"),
}
gue.fields = { f.version, f.control, f.hlen, f.hdr_len, f.proto, f.ctype, f.flags,
	f.flag_priv, f.priv, f.priv_rcs, f.rcs_start, f.rcs_off, f.rcs_csum, f.drop }

local function gue_expert(abbr, text, group, severity)
	return ProtoExpert.new("gue." .. abbr, text, group or expert.group.MALFORMED,
			       severity or expert.severity.ERROR)
end

-- One entry per receive drop of the kernel's gue_udp_recv()/validate_gue_flags();
-- drop is the reason's name in `ufou decode` and ufoud's counters.
local drops = {
	truncated   = { drop = "gue-truncated", ex = gue_expert("truncated", "GUE header truncated") },
	bad_version = { drop = "gue-bad-version", ex = gue_expert("bad_version", "Unknown GUE version") },
	v1_bad_ip   = { drop = "gue-v1-bad-ip",
			ex = gue_expert("v1_bad_ip", "GUE version 1 without an IPv4/IPv6 packet") },
	bad_hlen    = { drop = "gue-bad-hlen", ex = gue_expert("bad_hlen", "GUE hlen runs past the packet") },
	bad_flags   = { drop = "gue-bad-flags",
			ex = gue_expert("bad_flags", "Unknown GUE flags, or flags needing more than hlen") },
	bad_remcsum = { drop = "gue-bad-remcsum",
			ex = gue_expert("bad_remcsum", "Remote checksum start/offset past the payload") },
	control     = { drop = "gue-control",
			ex = gue_expert("control", "GUE control message (Linux has no control types)",
					expert.group.PROTOCOL, expert.severity.NOTE) },
	bad_proto   = { drop = "gue-bad-proto", ex = gue_expert("bad_proto", "GUE protocol 0") },
}
gue.experts = {}
for _, d in pairs(drops) do
	table.insert(gue.experts, d.ex)
end

local function gue_drop(tree, d, text)
	tree:add(f.drop, d.drop):set_generated()
	tree:add_proto_expert_info(d.ex, text)
end

-- Internet checksum helpers over a ByteArray (Lua 5.2 numbers: exact sums).
local function csum_partial(ba, from, to)
	local sum = 0
	for i = from, to - 1 do
		if (i % 2) == 0 then
			sum = sum + ba:get_index(i) * 256
		else
			sum = sum + ba:get_index(i)
		end
	end
	return sum
end

local function csum_fold(sum)
	while sum > 0xffff do
		sum = (sum % 0x10000) + math.floor(sum / 0x10000)
	end
	return sum
end

-- Linux remcsum_adjust(): the field at offset holds the pseudo-header sum,
-- so the sum of payload[start..end) with it in place is the full checksum.
-- Byte positions count from the payload's start, as the kernel's do.
local function remcsum_complete(payload, start, offset)
	local ba = payload:bytes()
	local total = csum_fold(csum_partial(ba, 0, ba:len()))
	local head = csum_fold(csum_partial(ba, 0, start))
	local check = 0xffff - csum_fold(total + (0xffff - head))
	if check == 0 then
		check = 0xffff
	end
	ba:set_index(offset, math.floor(check / 256))
	ba:set_index(offset + 1, check % 256)
	return ba:tvb("GUE remcsum-completed"), check
end

-- The inner protocol's dissector by IP protocol number, as ip/ipv6 pick it.
local function hand_off(ipproto, payload, pinfo, tree)
	local d = ipproto_table:get_dissector(ipproto) or data_dissector
	d:call(payload, pinfo, tree)
end

local function gue_v1(tvb, pinfo, tree, t)
	local nibble = tvb(0, 1):bitfield(0, 4)
	t:set_len(0)
	t:append_text(", Version 1 (direct IP)")
	if nibble == 4 then
		t:add(f.proto, 4):set_generated()
		ip_dissector:call(tvb, pinfo, tree)
	elseif nibble == 6 then
		t:add(f.proto, 41):set_generated()
		ipv6_dissector:call(tvb, pinfo, tree)
	else
		gue_drop(t, drops.v1_bad_ip, "IP version " .. nibble .. " in GUE version 1")
		data_dissector:call(tvb, pinfo, tree)
	end
end

-- The optional fields: P's private flags, R's start/offset. Returns a drop.
local function gue_options(tvb, t, flags, optlen)
	if bit32.band(flags, 0xfffe) ~= 0 then
		return drops.bad_flags, string.format("unknown flags 0x%04x", bit32.band(flags, 0xfffe))
	end
	if bit32.band(flags, 0x0001) == 0 then
		return nil
	end
	if optlen < 4 then
		return drops.bad_flags, "P flag set but hlen leaves no room for private flags"
	end
	local pt = t:add(f.priv, tvb(4, 4))
	pt:add(f.priv_rcs, tvb(4, 4))
	local priv = tvb(4, 4):uint()
	if bit32.band(priv, 0x7fffffff) ~= 0 then
		return drops.bad_flags,
			string.format("unknown private flags 0x%08x", bit32.band(priv, 0x7fffffff))
	end
	if bit32.band(priv, 0x80000000) == 0 then
		return nil
	end
	if optlen < 8 then
		return drops.bad_flags, "R flag set but hlen leaves no room for start/offset"
	end
	t:add(f.rcs_start, tvb(8, 2))
	t:add(f.rcs_off, tvb(10, 2))
	return nil
end

function gue.dissector(tvb, pinfo, tree)
	local len = tvb:len()
	pinfo.cols.protocol = "GUE"
	local t = tree:add(gue, tvb())
	if len < 4 then
		gue_drop(t, drops.truncated, "GUE header needs 4 bytes, " .. len .. " present")
		return len
	end
	t:add(f.version, tvb(0, 1))
	local version = tvb(0, 1):bitfield(0, 2)
	if version == 1 then
		gue_v1(tvb, pinfo, tree, t)
		return len
	elseif version ~= 0 then
		gue_drop(t, drops.bad_version, "GUE version " .. version)
		return len
	end
	local control = tvb(0, 1):bitfield(2, 1) == 1
	local hlen = tvb(0, 1):bitfield(3, 5)
	local proto = tvb(1, 1):uint()
	local flags = tvb(2, 2):uint()
	local hdr_len = 4 + hlen * 4
	t:add(f.control, tvb(0, 1))
	t:add(f.hlen, tvb(0, 1))
	t:add(f.hdr_len, hdr_len):set_generated()
	t:add(control and f.ctype or f.proto, tvb(1, 1))
	local ft = t:add(f.flags, tvb(2, 2))
	ft:add(f.flag_priv, tvb(2, 2))
	if hdr_len > len then
		gue_drop(t, drops.bad_hlen, "GUE header of " .. hdr_len .. " bytes, " .. len .. " present")
		return len
	end
	t:set_len(hdr_len)
	local d, why = gue_options(tvb, t, flags, hdr_len - 4)
	local payload = tvb(hdr_len):tvb()
	local start, offset
	if not d and bit32.band(flags, 1) == 1 and bit32.band(tvb(4, 4):uint(), 0x80000000) ~= 0 then
		start, offset = tvb(8, 2):uint(), tvb(10, 2):uint()
		if math.max(start, offset + 2) > len - hdr_len then
			d, why = drops.bad_remcsum, "start " .. start .. " / offset " .. offset ..
				" past a payload of " .. (len - hdr_len) .. " bytes"
		end
	end
	if not d and control then
		d, why = drops.control, "control type " .. proto
		pinfo.cols.info = "GUE control message, type " .. proto
	end
	if not d and proto == 0 then
		d, why = drops.bad_proto, "protocol 0"
	end
	t:append_text(string.format(", Version 0, %s %u, hlen %u", control and "ctype" or "proto",
				    proto, hlen))
	if d then
		gue_drop(t, d, why)
		data_dissector:call(payload, pinfo, tree)
		return len
	end
	if start then
		local check
		payload, check = remcsum_complete(payload, start, offset)
		t:add(f.rcs_csum, check):set_generated()
	end
	hand_off(proto, payload, pinfo, tree)
	return len
end

---------------------------------------------------------------- FOU

local fou = Proto("fou", "Foo-over-UDP")
local ff = {
	proto = ProtoField.uint8("fou.proto", "Protocol (from the UDP port)", base.DEC, ipproto_names),
	port  = ProtoField.uint16("fou.port", "FOU port"),
}
fou.fields = { ff.proto, ff.port }

local function fou_dissect(tvb, pinfo, tree, ipproto, port)
	local t = tree:add(fou, tvb(0, 0))
	t:append_text(string.format(", port %u, protocol %u", port, ipproto))
	t:add(ff.port, port):set_generated()
	t:add(ff.proto, ipproto):set_generated()
	hand_off(ipproto, tvb, pinfo, tree)
	return tvb:len()
end

-- "Decode As" entries: one per inner protocol a FOU port can carry.
local fou_decode_as = {}
for _, k in ipairs({ { 4, "ipip", "IPv4" }, { 41, "ipv6", "IPv6" }, { 47, "gre", "GRE" } }) do
	local p = Proto("fou_" .. k[2], "Foo-over-UDP carrying " .. k[3])
	p.dissector = function(tvb, pinfo, tree)
		return fou_dissect(tvb, pinfo, tree, k[1], pinfo.match_uint)
	end
	fou_decode_as[k[1]] = p
end

---------------------------------------------------------------- preferences

local ipproto_words = { ipip = 4, ip = 4, ipv6 = 41, sit = 41, gre = 47 }

-- "5555:4,5541:ipv6" -> { [5555] = 4, [5541] = 41 }, or nil and the bad item.
local function parse_fou_ports(s)
	local map = {}
	for item in string.gmatch(s, "[^,%s]+") do
		local port, proto = string.match(item, "^(%d+):(%w+)$")
		port = tonumber(port)
		proto = proto and (ipproto_words[proto] or tonumber(proto))
		if not port or port < 1 or port > 65535 or not proto or proto < 1 or proto > 255 then
			return nil, item
		end
		map[port] = proto
	end
	return map
end

fou.prefs.ports = Pref.string("FOU ports", "",
	"UDP ports of FOU receivers and what each carries: PORT:IPPROTO,... "
	.. "(IPPROTO: number, ipip, ipv6, sit, gre), e.g. 5555:4,5541:41,5547:47")
gue.prefs.ports = Pref.range("GUE ports", "", "UDP ports of GUE receivers, e.g. 5556,5558", 65535)

local fou_ports = {}
local gue_ports = ""

function fou.dissector(tvb, pinfo, tree)
	local ipproto = fou_ports[pinfo.dst_port]
	if not ipproto then
		return 0        -- the receiver's port is the destination: not ours
	end
	return fou_dissect(tvb, pinfo, tree, ipproto, pinfo.dst_port)
end

function fou.prefs_changed()
	local map, bad = parse_fou_ports(fou.prefs.ports)
	if not map then
		report_failure("ufou.lua: fou.ports: bad item '" .. bad .. "' (want PORT:IPPROTO)")
		return
	end
	for port in pairs(fou_ports) do
		udp_table:remove(port, fou)
	end
	fou_ports = map
	for port in pairs(fou_ports) do
		udp_table:add(port, fou)
	end
end

function gue.prefs_changed()
	if gue_ports ~= "" then
		udp_table:remove(gue_ports, gue)
	end
	gue_ports = tostring(gue.prefs.ports)
	if gue_ports ~= "" then
		udp_table:add(gue_ports, gue)
	end
end

udp_table:add_for_decode_as(gue)
for _, p in pairs(fou_decode_as) do
	udp_table:add_for_decode_as(p)
end
