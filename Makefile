# SPDX-License-Identifier: GPL-2.0
# ufou: one plain Makefile. `make`, `make check`, `make asan`, `make soak`,
# `make fuzz`, `make install PREFIX=/usr DESTDIR=...` (`install-wireshark`:
# the dissector alone). Quiet unless V=1.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DESTDIR ?=
BUILD   ?= build
# /etc for the system's own prefix, PREFIX/etc for any other.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# The version has one home: the first line of debian/changelog.
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)

CC      ?= cc
CFLAGS  ?= -O2 -g
WFLAGS  := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	   -Wold-style-definition -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wno-unused-parameter -Wvla
ALLCFLAGS = -std=gnu11 $(WFLAGS) $(CFLAGS) -D_GNU_SOURCE -Ilib -Isrc -I$(BUILD)/bpf -MMD -MP
LDLIBS  += -lpthread -lbpf -lelf -lz
LDFLAGS ?=

# The eBPF fast path: one BPF object (clang -target bpf), embedded in ufoud
# as a libbpf skeleton. -mcpu=v3 for atomic fetch-and-add (Linux 5.12+).
BPF_CLANG ?= clang
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -Isrc \
	      -I/usr/include/$(shell $(BPF_CLANG) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BPF_OBJ  := $(BUILD)/bpf/ufou.bpf.o
BPF_SKEL := $(BUILD)/bpf/ufou.skel.h

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Pure protocol library and the shared config model / control protocol.
LIB_SRC  := $(wildcard lib/proto/*.c) $(wildcard src/common/*.c)
# Daemon pieces (everything but the entry point), CLI pieces likewise.
DMN_SRC  := $(wildcard src/dataplane/*.c) $(wildcard src/control/*.c) \
	    $(filter-out src/daemon/ufoud.c,$(wildcard src/daemon/*.c))
CLI_SRC  := $(filter-out src/cli/ufou.c,$(wildcard src/cli/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
DMN_OBJ  := $(DMN_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN := $(UNIT_SRC:%.c=$(BUILD)/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)

# Man pages: docs/man/*.in with the parts the tables give filled in by
# mangen (linked with the same libraries as ufou, so it prints their tables).
MAN_IN   := $(wildcard docs/man/*.in)
MAN_OUT  := $(MAN_IN:docs/man/%.in=$(BUILD)/man/%)
MANGEN   := $(BUILD)/man/mangen
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

all: $(BUILD)/ufou $(BUILD)/ufoud man

$(BPF_OBJ): src/dataplane/bpf/ufou.bpf.c src/dataplane/fp_abi.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BPF     $<")
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BPF_SKEL): $(BPF_OBJ)
	@$(if $(Q),echo "  SKEL    $@")
	$(Q)bpftool gen skeleton $< name ufou_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/src/dataplane/fp.o: $(BPF_SKEL)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/libufou.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)

$(BUILD)/libufoud.a: $(DMN_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)

$(BUILD)/libufoucli.a: $(CLI_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)

LIBS = $(BUILD)/libufoucli.a $(BUILD)/libufoud.a $(BUILD)/libufou.a

$(BUILD)/src/cli/ufou.o $(BUILD)/src/daemon/ufoud.o: ALLCFLAGS += -DUFOU_VERSION='"$(VERSION)"'
$(BUILD)/src/cli/ufou.o $(BUILD)/src/daemon/ufoud.o: debian/changelog

$(BUILD)/ufou: $(BUILD)/src/cli/ufou.o $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/ufoud: $(BUILD)/src/daemon/ufoud.o $(LIBS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALLCFLAGS) -Itests -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# Loaded into ufoud by netns tests (fault injection); never sanitized, since
# it must stay loadable next to any build of ufoud.
NETNS_SO := $(BUILD)/tests/netns/fault.so
# Run by netns tests as a sender of bad datagrams (test_flood.sh).
NETNS_BIN := $(BUILD)/tests/netns/flood

$(BUILD)/tests/netns/%.so: tests/netns/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  SO      $@")
	$(Q)$(CC) -std=gnu11 $(WFLAGS) -O2 -D_GNU_SOURCE -shared -fPIC -o $@ $< -ldl

$(MANGEN): docs/man/mangen.c $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MANGEN  $@")
	$(Q)$(CC) $(ALLCFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

$(BUILD)/man/%: docs/man/%.in $(MANGEN)
	@$(if $(Q),echo "  MAN     $@")
	$(Q)$(MANGEN) < $< > $@.tmp && mv $@.tmp $@

man: $(MAN_OUT)

units: $(UNIT_BIN) $(NETNS_SO) $(NETNS_BIN)
benches: $(BENCH_BIN)

# Every test: unit, netns and kernel interop (the last two need root); the
# fuzz smoke run is `make fuzz-smoke`, the sanitizer run `make asan`.
check: all units
	$(Q)BUILD=$(BUILD) tests/run.sh unit netns interop

check-unit: all units
	$(Q)BUILD=$(BUILD) tests/run.sh unit

# Same suite under ASan+UBSan; any report fails the run.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDLIBS="-lpthread -lbpf -lelf -lz -fsanitize=address,undefined" all units
	$(Q)BUILD=build-asan SANITIZED=1 tests/run.sh $(SUITES)

# The soak (tests/netns/test_soak.sh: link churn under traffic, then no
# leaks) for SOAK_SECONDS on each data path; the netns suite runs it for 2 min.
SOAK_SECONDS ?= 1800
soak: all units
	$(Q)BUILD=$(BUILD) UFOU_SOAK_SECONDS=$(SOAK_SECONDS) \
		UFOU_SCRIPT_TIMEOUT=$$(($(SOAK_SECONDS) + 600)) tests/run.sh tests/netns/test_soak.sh

# libFuzzer targets (clang), and a short smoke run of each from its corpus.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/fuzz/%)
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all

fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
		build-fuzz/libufoucli.a build-fuzz/libufoud.a build-fuzz/libufou.a $(FUZZ_BIN)

build-fuzz/fuzz/%: tests/fuzz/%.c build-fuzz/libufou.a build-fuzz/libufoud.a build-fuzz/libufoucli.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)clang -std=gnu11 -D_GNU_SOURCE -Ilib -Isrc -Itests -Ibuild-fuzz/bpf -g -O1 \
		-fsanitize=fuzzer,address,undefined \
		-o $@ $< build-fuzz/libufoucli.a build-fuzz/libufoud.a build-fuzz/libufou.a -lpthread \
		-lbpf -lelf -lz

# fuzz_bpf runs the fast path's programs: it includes their skeleton.
build-fuzz/fuzz/fuzz_bpf: build-fuzz/bpf/ufou.skel.h

fuzz-smoke: fuzz-build
	$(Q)tests/fuzz/smoke.sh $(or $(FUZZ_SECONDS),5)

bench: all benches
	$(Q)bench/run.sh

demo: all
	$(Q)scripts/demo.sh

# The unit names the installed paths; an existing ufou.conf is never overwritten.
install: all install-wireshark
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/ufou
	install -m 0755 $(BUILD)/ufou $(DESTDIR)$(BINDIR)/ufou
	install -m 0755 $(BUILD)/ufoud $(DESTDIR)$(SBINDIR)/ufoud
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 $(filter %.8,$(MAN_OUT)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(filter %.5,$(MAN_OUT)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 contrib/bash-completion/ufou $(DESTDIR)$(BASHCOMPDIR)/ufou
	sed -e 's|/usr/sbin/ufoud|$(SBINDIR)/ufoud|' -e 's|/etc/ufou/|$(SYSCONFDIR)/ufou/|' \
		contrib/systemd/ufoud.service > $(DESTDIR)$(SYSTEMDUNITDIR)/ufoud.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/ufoud.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/ufou/ufou.conf ] || \
		install -m 0644 contrib/ufou.conf $(DESTDIR)$(SYSCONFDIR)/ufou/ufou.conf

# The Debian package, source and binary, in $(BUILD)/deb: dpkg-buildpackage
# writes next to the tree it builds, so it builds a copy in $(BUILD)/deb/src.
DEB_DIR := $(BUILD)/deb
deb:
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	$(Q)tar -c --exclude=./.git --exclude='./build*' --exclude='./$(BUILD)' . | \
		tar -x -C $(DEB_DIR)/src
	$(Q)cd $(DEB_DIR)/src && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -us -uc >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	$(Q)ls $(DEB_DIR)/*.deb

# The Wireshark dissector goes to the global Lua plugin folder that
# `tshark -G folders` names: on Debian /usr/lib/<multiarch>/wireshark/plugins
# (not the versioned .../plugins/4.0, which holds C plugins), so PREFIX=/usr.
MULTIARCH ?= $(or $(DEB_HOST_MULTIARCH),$(shell $(CC) -print-multiarch 2>/dev/null))
WIRESHARK_LUADIR ?= $(PREFIX)/lib/$(if $(MULTIARCH),$(MULTIARCH)/)wireshark/plugins

install-wireshark:
	install -d $(DESTDIR)$(WIRESHARK_LUADIR)
	install -m 0644 contrib/wireshark/ufou.lua $(DESTDIR)$(WIRESHARK_LUADIR)/ufou.lua

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all man units benches check check-unit asan soak fuzz-build fuzz-smoke bench demo install \
	install-wireshark deb clean

-include $(shell find $(BUILD) build-fuzz -name '*.d' 2>/dev/null)
