#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The man pages against what they describe: they lint clean; every word the
# grammar tables take is documented in ufou.8 (its hand-written part), and
# every keyword documented there is one the grammar takes; the generated
# grammar is `ufou help`'s; options match ufou's and ufoud's getopt string;
# every JSON key `ufou -s -s -j ... show` prints is listed; the commands of
# the README, of ufou.8's EXAMPLES and of ufou.conf.5's example parse and
# apply (ufoud -n -c); make install puts pages and completion in place.
source "$(dirname "$0")/../netns/lib.sh"

MAN_DIR=$BUILD_DIR/man
MAN_SRC=$REPO_ROOT/docs/man

require_binaries
require_command mandoc
require_command groff
require_command col
require_command jq

# render FILE: the page as plain text, wide enough that nothing wraps.
render()
{
	mandoc -T ascii -O width=400 "$1" | col -b
}

# tokens: the words of stdin, one a line (punctuation around them dropped).
tokens()
{
	grep -oE -- '-{0,2}[A-Za-z0-9_][A-Za-z0-9_./:-]*' | sed 's/[.:]$//' | sort -u
}

# missing WORDS-FILE TOKENS-FILE: the words not among the tokens.
missing()
{
	sort -u "$1" | comm -23 - "$2"
}

# complete WORDS...: the candidates `ufou __complete` gives after WORDS.
complete()
{
	"$UFOU" __complete "$@" "" | grep -v '^@'
}

# valid_words WORDS...: the word list of the parser's "unknown keyword" message.
valid_words()
{
	"$UFOU" "$@" no-such-word 2>&1 | sed -n 's/.*; valid: //p' | tr ' ' '\n'
}

# grammar_words: every object, verb, keyword (aliases included) and
# enumerated value the grammar tables hold.
grammar_words()
{
	local kw
	{
		complete
		complete fou
		complete link
		valid_words fou add
		valid_words link add
		valid_words link set tun0
		for kw in $(valid_words link add) $(valid_words fou add); do
			complete link add "$kw"
			complete fou add "$kw"
		done
	} | sort -u
}

make_pages()
{
	local f
	for f in ufou.8 ufoud.8 ufou.conf.5; do
		[ -s "$MAN_DIR/$f" ] || return 1
	done
}

test_lint()
{
	local f out
	for f in "$MAN_DIR"/*.[58]; do
		out=$(mandoc -T lint -W warning "$f" 2>&1)
		check_err $? "mandoc -T lint $f: $out"
		[ -z "$out" ]
		check_err $? "mandoc -T lint $f: $out"
		out=$(groff -ww -man -z "$f" 2>&1)
		[ -z "$out" ]
		check_err $? "groff -ww $f: $out"
	done
	log_test "every page lints clean (mandoc -T lint -W warning, groff -ww)"
}

# The hand-written part of ufou.8: the template without the generated lines.
test_grammar_documented()
{
	local miss
	grammar_words >"$TMPD/gwords"
	[ "$(wc -l <"$TMPD/gwords")" -gt 60 ]
	check_err $? "too few grammar words: $(tr '\n' ' ' <"$TMPD/gwords")"
	grep -v '^@[A-Z_]*@$' "$MAN_SRC/ufou.8.in" >"$TMPD/hand.8"
	render "$TMPD/hand.8" | tokens >"$TMPD/hand.tok"
	miss=$(missing "$TMPD/gwords" "$TMPD/hand.tok" | tr '\n' ' ')
	[ -z "$miss" ]
	check_err $? "grammar words not described in docs/man/ufou.8.in: $miss"
	log_test "every word of the grammar tables is described in ufou.8"
}

# .TP entries of ufou.8's keyword sections: their bold words must parse.
documented_keywords()
{
	sed -n '/^\.SS Receive ports/,/^\.SS Capture/p' "$MAN_SRC/ufou.8.in" |
		awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' |
		python3 -c '
import shlex, sys
for line in sys.stdin:
    mac, _, rest = line.strip().partition(" ")
    args = shlex.split(rest.replace("\\-", "-"))
    words = {".B": args, ".BI": args[:1], ".BR": args[0::2]}.get(mac, [])
    for w in words:
        if not w.startswith("\\") and w.strip(", "):
            print(w.strip(", "))
'
}

test_documented_parse()
{
	local miss n
	documented_keywords | sort -u >"$TMPD/dwords"
	n=$(wc -l <"$TMPD/dwords")
	[ "$n" -gt 40 ]
	check_err $? "only $n documented keywords found"
	miss=$(missing "$TMPD/dwords" "$TMPD/gwords" | tr '\n' ' ')
	[ -z "$miss" ]
	check_err $? "ufou.8 documents keywords the grammar does not take: $miss"
	# The keywords completion offers (aliases are not): each has an entry.
	{
		complete fou add
		complete link add
		complete link set tun0
	} | sort -u >"$TMPD/kwords"
	miss=$(missing "$TMPD/kwords" "$TMPD/dwords" | tr '\n' ' ')
	[ -z "$miss" ]
	check_err $? "keywords without an entry of their own in ufou.8: $miss"
	log_test "ufou.8 has an entry for every keyword, and only for keywords the grammar takes"
}

# The generated COMMANDS block is `ufou help`'s grammar, line for line.
test_help_matches()
{
	local miss
	"$UFOU" help | sed -n '/^Usage: ufou fou add/,$p' | sed 's/[[:space:]]\+/ /g; s/^ //' \
		>"$TMPD/help.lines"
	[ "$(wc -l <"$TMPD/help.lines")" -gt 20 ]
	check_err $? "ufou help printed no grammar"
	render "$MAN_DIR/ufou.8" | sed 's/[[:space:]]\+/ /g; s/^ //' >"$TMPD/man.lines"
	miss=$(grep -vxFf "$TMPD/man.lines" "$TMPD/help.lines")
	[ -z "$miss" ]
	check_err $? "lines of ufou help missing from ufou.8: $miss"
	# The header's options: "-s[tatistics]" is -s and -statistics.
	"$UFOU" help | sed -n '1,/^Usage: ufou fou add/p' |
		sed -E 's/(-[A-Za-z])\[([A-Za-z]+)\]/\1 \1\2/g' | tokens | grep -- '^-' \
		>"$TMPD/help.tok"
	tokens <"$TMPD/help.lines" >>"$TMPD/help.tok"
	render "$MAN_DIR/ufou.8" | tokens >"$TMPD/man.tok"
	miss=$(missing "$TMPD/help.tok" "$TMPD/man.tok" | tr '\n' ' ')
	[ -z "$miss" ]
	check_err $? "words of ufou help missing from ufou.8: $miss"
	log_test "ufou.8 holds ufou help's grammar, its words and its options"
}

# The options completion offers: accepted by ufou, in ufou help and ufou.8.
test_ufou_options()
{
	local o rc
	"$UFOU" __complete - >"$TMPD/opts"
	[ "$(wc -l <"$TMPD/opts")" -ge 6 ]
	check_err $? "too few options: $(tr '\n' ' ' <"$TMPD/opts")"
	while read -r o; do
		if [ "$o" = -S ]; then
			"$UFOU" -S /nonexistent help >/dev/null 2>&1
		else
			"$UFOU" "$o" help >/dev/null 2>&1
		fi
		rc=$?
		check_err $rc "ufou $o help exited $rc"
		grep -qxF -- "$o" "$TMPD/man.tok"
		check_err $? "option $o missing from ufou.8"
		grep -qxF -- "$o" "$TMPD/help.tok"
		check_err $? "option $o missing from ufou help"
	done <"$TMPD/opts"
	# decode's own options, as completion offers them: in ufou decode -h and ufou.8.
	"$UFOU" decode -h >"$TMPD/decode.help" 2>&1
	check_err $? "ufou decode -h failed"
	for o in $("$UFOU" __complete decode -); do
		grep -qF -- "$o" "$TMPD/decode.help"
		check_err $? "decode option $o missing from ufou decode -h"
		grep -qxF -- "$o" "$TMPD/man.tok"
		check_err $? "decode option $o missing from ufou.8"
	done
	log_test "every ufou and ufou decode option is accepted, in their help and in ufou.8"
}

# Every letter of ufoud's getopt string: in ufoud -h and ufoud.8's OPTIONS.
test_ufoud_options()
{
	local optstr letter
	optstr=$(sed -n 's/.*getopt\(_long\)\{0,1\}(argc, argv, "\([^"]*\)".*/\2/p' \
		"$REPO_ROOT/src/daemon/ufoud.c")
	[ -n "$optstr" ]
	check_err $? "no getopt string in src/daemon/ufoud.c"
	"$UFOUD" -h >"$TMPD/ufoud.help" 2>&1
	check_err $? "ufoud -h failed"
	render "$MAN_DIR/ufoud.8" | sed -n '/^OPTIONS/,/^[A-Z]/p' >"$TMPD/ufoud.opts"
	render "$MAN_DIR/ufoud.8" | sed -n '/^SYNOPSIS/,/^[A-Z]/p' >"$TMPD/ufoud.syn"
	for letter in $(echo "${optstr//:/}" | grep -o .); do
		grep -qE -- "(^|[[:space:][])-$letter([[:space:]]|\]|$)" "$TMPD/ufoud.help"
		check_err $? "-$letter missing from ufoud -h"
		grep -qE -- "^[[:space:]]+-$letter([[:space:],]|$)" "$TMPD/ufoud.opts"
		check_err $? "-$letter has no entry in ufoud.8's OPTIONS"
		grep -qE -- "(^|[[:space:][])-$letter([[:space:]]|\]|$)" "$TMPD/ufoud.syn"
		check_err $? "-$letter missing from ufoud.8's SYNOPSIS"
	done
	log_test "every ufoud option ($optstr) is in ufoud -h and ufoud.8 (synopsis, options)"
}

# A port and links with every option, shown with -s -s -j: every key listed.
test_json_keys()
{
	local NS miss
	setup_ns NS || { log_skip "JSON keys" "no namespace"; return; }
	ip -n "$NS" link add eth0 type veth peer name eth1
	ip -n "$NS" link set eth1 up
	ip -n "$NS" addr add 198.18.0.1/24 dev eth0
	ip -n "$NS" addr add fd00:18::1/64 dev eth0 nodad
	ip -n "$NS" link set eth0 up
	start_ufoud "$NS" || { log_skip "JSON keys" "ufoud did not start"; return; }
	ufou_in "$NS" fou add port 5555 gue local 198.18.0.1 peer 198.18.0.2 \
		peer_port 5555 dev eth0 &&
	ufou_in "$NS" fou add port 5541 ipproto 41 -6 local fd00:18::1 &&
	ufou_in "$NS" link add name tun1 type ipip remote 198.18.0.2 local 198.18.0.1 \
		ttl 64 tos inherit dev eth0 mtu 1400 encap fou encap-sport 4000 \
		encap-dport 5555 encap-csum &&
	ufou_in "$NS" link add name gre6 type ip6gre remote fd00:18::2 local fd00:18::1 \
		ikey 1 okey 2 csum seq encaplimit none flowlabel 5 tclass inherit \
		encap gue encap-dport 5556 encap-remcsum &&
	ufou_in "$NS" link add name sit1 type sit mode any local 198.18.0.1 encap fou \
		encap-dport 5541
	check_err $? "setting up a port and links with every option failed"
	{
		ufou_in "$NS" -s -s -j fou show
		ufou_in "$NS" -s -s -j link show
	} | jq -r '.[] | [paths | .[] | strings] | .[]' | sort -u >"$TMPD/jkeys"
	[ "$(wc -l <"$TMPD/jkeys")" -gt 40 ]
	check_err $? "too few JSON keys: $(tr '\n' ' ' <"$TMPD/jkeys")"
	miss=$(missing "$TMPD/jkeys" "$TMPD/man.tok" | tr '\n' ' ')
	[ -z "$miss" ]
	check_err $? "JSON keys not in ufou.8: $miss"
	log_test "every JSON key of ufou -s -s -j fou/link show is in ufou.8"
}

# commands_of: stdin's "ufou ..." lines (continuations joined) as config
# lines: program name, global options and comments dropped; a global -6
# becomes the fou keyword, as ufou itself does.
commands_of()
{
	sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' |
		sed -n 's/^[[:space:]]*\(# \)\{0,1\}ufou \(.*\)/\2/p' |
		grep -v -e '^decode ' -e '--prometheus' | sed 's/[[:space:]]#.*//' |
		awk '{ six = 0; o = ""
		       for (i = 1; i <= NF; i++) {
			       if (o == "" && $i ~ /^-/) { if ($i == "-6") six = 1; continue }
			       o = o (o == "" ? "" : " ") $i
		       }
		       if (six && o ~ /^fou (add|del)/) o = o " -6"
		       print o }'
}

# check_commands WHAT FILE: FILE's lines apply, in order, to an empty ufoud.
check_commands()
{
	local what=$1 file=$2 out
	[ -s "$file" ]
	check_err $? "no ufou commands found in $what"
	out=$("$UFOUD" -n -c "$file" 2>&1)
	check_err $? "$what: $out"
	diag "$what: $(wc -l <"$file") commands"
}

test_readme_commands()
{
	sed -n '/^```sh/,/^```/p' "$REPO_ROOT/README.md" | commands_of >"$TMPD/readme.conf"
	check_commands README.md "$TMPD/readme.conf"
	log_test "the README's ufou commands parse and apply (ufoud -n)"
}

# The README's "From ip fou to ufou" table: where a row gives a command on
# both sides, ufou's is Linux's with "ip" (and -d) replaced; all of ufou's
# apply, in order, to an empty ufoud.
test_readme_table()
{
	local rows ip uf n=0 bad=
	rows=$(sed -n '/^## From `ip fou` to `ufou`/,/^## /p' "$REPO_ROOT/README.md" |
		grep '^| `' | grep -v '^|---')
	: >"$TMPD/table.conf"
	while IFS= read -r row; do
		ip=$(cut -d'|' -f2 <<<"$row" | sed -n 's/^ *`\([^`]*\)`.*/\1/p')
		uf=$(cut -d'|' -f3 <<<"$row" | sed -n 's/^ *`\(ufou [^`]*\)`.*/\1/p')
		[ -n "$uf" ] || continue
		n=$((n + 1))
		echo "$uf" >>"$TMPD/table.conf"
		[[ $ip == "ip "* ]] || continue
		ip=$(sed -e 's/^ip /ufou /' -e 's/ -d / /' <<<"$ip")
		[ "$ip" = "$uf" ] || bad+="[$ip] vs [$uf] "
	done <<<"$rows"
	[ "$n" -ge 15 ]
	check_err $? "only $n ufou commands in the README's table"
	[ -z "$bad" ]
	check_err $? "ufou's command is not Linux's with ip replaced: $bad"
	commands_of <"$TMPD/table.conf" >"$TMPD/table.cmds"
	check_commands "README.md table" "$TMPD/table.cmds"
	log_test "the README's ip-to-ufou table: the same words, and they apply (ufoud -n)"
}

test_examples()
{
	render "$MAN_DIR/ufou.8" | sed -n '/^EXAMPLES/,/^SEE ALSO/p' | commands_of \
		>"$TMPD/examples.conf"
	check_commands "ufou.8 EXAMPLES" "$TMPD/examples.conf"
	render "$MAN_DIR/ufou.conf.5" | sed -n '/^EXAMPLES/,/^SEE ALSO/p' | sed '1,2d;$d' |
		sed 's/^[[:space:]]*//' >"$TMPD/conf5.conf"
	grep -q '^link add' "$TMPD/conf5.conf"
	check_err $? "ufou.conf.5's example has no link add"
	check_commands "ufou.conf.5 example" "$TMPD/conf5.conf"
	log_test "ufou.8's examples and ufou.conf.5's example file parse and apply"
}

# The rules ufou.conf.5 states, one file (or line) each.
test_conf_rules()
{
	local f=$TMPD/rules.conf out words i
	printf '# comment\n\n\tfou add port 5555\tipproto 4   # after a word\n%s\n%s\n%s\n' \
		'link add name t1 type ipip local 198.18.0.1 encap fou encap-dport 5555' \
		'link set t1 ttl 9' 'fou show' >"$f"
	printf 'link show\nhelp\nfou add port 5556 gue -6\n' >>"$f"
	out=$("$UFOUD" -n -c "$f" 2>&1)
	check_err $? "comments, tabs, blank lines, set after add, show, help, -6: $out"
	printf 'fou add port 1 gue\nufou fou add port 2 gue\n' >"$f"
	out=$("$UFOUD" -n -c "$f" 2>&1)
	check_fail $? "a line with the program name was accepted"
	[[ $out == *"$f:2: "*'"ufou"'* ]]
	check_err $? "the error does not name file, line and word: $out"
	printf 'link add name t1 type ipip local 198.18.0.1 \\\n encap fou encap-dport 1\n' >"$f"
	"$UFOUD" -n -c "$f" >/dev/null 2>&1
	check_fail $? "a continuation line was accepted"
	words=
	for ((i = 0; i < 257; i++)); do words+=" port"; done
	echo "fou add$words" >"$f"
	out=$("$UFOUD" -n -c "$f" 2>&1)
	[[ $out == *"more than 256 words"* ]]
	check_err $? "257 words: $out"
	log_test "ufou.conf.5's rules hold (comments, order, one command a line, errors)"
}

# ufou.8's EXIT STATUS: 0 ok, 1 command failed (here: no daemon), 2 usage.
test_exit_status()
{
	local rc
	"$UFOU" help >/dev/null 2>&1
	check_err $? "ufou help exited $?"
	"$UFOU" -S "$TMPD/no.sock" link show >/dev/null 2>&1
	rc=$?
	[ $rc -eq 1 ]
	check_err $? "no daemon: exit $rc, want 1"
	"$UFOU" link add bogus >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ]
	check_err $? "unknown word: exit $rc, want 2"
	"$UFOU" link add name t1 type ipip local 198.18.0.1 encap fou >/dev/null 2>&1
	rc=$?
	[ $rc -eq 1 ]
	check_err $? "link add without encap-dport: exit $rc, want 1"
	log_test "ufou's exit status is the one ufou.8 states"
}

test_install()
{
	local d=$TMPD/dest f
	# Install only: a stale build is reported, never rebuilt here (the build
	# may be a sanitizer one, with flags this make call does not know).
	make -q -C "$REPO_ROOT" all BUILD="$BUILD_DIR" >/dev/null 2>&1
	check_err $? "$BUILD_DIR is not up to date: run make all first"
	[ "$RET" -eq 0 ] || { log_test "make install"; return; }
	make -s -C "$REPO_ROOT" install BUILD="$BUILD_DIR" DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
	check_err $? "make install failed"
	for f in share/man/man8/ufou.8 share/man/man8/ufoud.8 share/man/man5/ufou.conf.5 \
		share/bash-completion/completions/ufou; do
		[ -s "$d/usr/$f" ]
		check_err $? "make install did not install /usr/$f"
	done
	log_test "make install DESTDIR=... PREFIX=/usr installs the pages and the completion"
}

make_pages
check_err $? "pages missing in $MAN_DIR: run make BUILD=$BUILD all"
log_test "the pages are built"
test_lint
test_grammar_documented
test_documented_parse
test_help_matches
test_ufou_options
test_ufoud_options
test_json_keys
test_readme_commands
test_readme_table
test_examples
test_conf_rules
test_exit_status
test_install
