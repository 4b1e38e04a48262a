# boxes: one binary `box`, box-* links to it.
#   make            build (warnings are errors)
#   make check      install deps, build, run every test (unit, ASan/UBSan unit, root integration)
#   make demo       install deps, build, make the busybox template, start a demo container
#   make fuzz       libFuzzer targets for a bounded time (clang)
#   make bench      tools/bench (never part of check)
#   make install    PREFIX=/usr/local DESTDIR=
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= gcc
# The release number; a build from git says `git describe` (tag, commits
# since, commit, -dirty) or, before the first tag, VERSION-gCOMMIT.
VERSION ?= 0.1
BOX_VERSION := $(shell d=$$(git describe --tags --dirty 2>/dev/null) && echo "$$d" || \
	{ c=$$(git describe --always --dirty 2>/dev/null) && echo "$(VERSION)-g$$c"; } || echo "$(VERSION)")
PKGS := libconfuse libarchive libnl-3.0 libnl-route-3.0 libcap zlib libzstd libseccomp

COMMANDS := create destroy start stop restart attach console ls info stats set apply diff \
	freeze unfreeze export import config autostart snapshot rollback clone log

# Read when make reads this file: on a fresh machine that is before tools/deps
# has installed the -dev packages, so every target that runs deps builds in a
# sub-make started after it (check, demo, bench).
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libarchive is not linked: src/archive/libarchive.c loads it on first use
PKG_LIBS := $(shell pkg-config --libs $(filter-out libarchive,$(PKGS)) 2>/dev/null)
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wmissing-prototypes -Wstrict-prototypes -fno-strict-aliasing -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -Isrc $(PKG_CFLAGS) $(SAN_FLAGS)
# full RELRO, and no lazy binding: the supervisor's loop must not fault ld.so back in
override LDFLAGS += -Wl,-z,relro,-z,now $(SAN_FLAGS)
LDLIBS += $(PKG_LIBS) -lpthread

SRCS := $(sort $(wildcard src/*.c src/*/*.c))
LIB_SRCS := $(filter-out src/box.c,$(SRCS))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# C tests that need root (the real cgroup tree): run with the integration tests
ROOT_SRCS := $(sort $(wildcard tests/root/test-*.c))
ROOT_BINS := $(ROOT_SRCS:tests/root/%.c=$(BUILD)/tests/root/%)

.PHONY: all man deps check uninstall FORCE clang-check format-check layers sizes unit unit-asan integration demo fuzz bench install clean format

all: $(BUILD)/box links man

# version.o alone is rebuilt when the version changes
$(BUILD)/version.txt: FORCE
	@mkdir -p $(dir $@)
	@echo '$(BOX_VERSION)' | cmp -s - $@ || echo '$(BOX_VERSION)' >$@
$(BUILD)/src/base/version.o: $(BUILD)/version.txt
$(BUILD)/src/base/version.o: override CFLAGS += -DBOX_VERSION='"$(BOX_VERSION)"'

# box(1), box.conf(5), boxes.conf(5) from the binary's own tables
MANPAGES := $(BUILD)/man/box.1 $(BUILD)/man/box.conf.5 $(BUILD)/man/boxes.conf.5
man: $(MANPAGES)
$(MANPAGES) &: $(BUILD)/box tools/mkman
	@tools/mkman $(BUILD)/box $(BUILD)/man

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libbox.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/box: $(BUILD)/src/box.o $(BUILD)/libbox.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

links: $(BUILD)/box
	@for c in $(COMMANDS); do ln -sf box $(BUILD)/box-$$c; done

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbox.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(BUILD)/libbox.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/root/%: tests/root/%.c $(BUILD)/libbox.a tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc -Itests/unit -o $@ $< $(BUILD)/libbox.a $(LDFLAGS) $(LDLIBS)

# DEPS, DEMO: what installs the packages and what shows the demo (a test
# swaps them to build without pkg-config at parse time, tests/integration/00-cli.sh)
DEPS ?= tools/deps
DEMO ?= tools/demo
deps:
	@$(DEPS)

# `make check` is the one test command (README, .ci/run).
check: deps
	@$(MAKE) --no-print-directory all unit-bins clang-check format-check layers sizes
	@$(MAKE) --no-print-directory BUILD=build/asan SAN_FLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer' CFLAGS='-O1 -g' unit-bins
	@tests/run $(TESTS)

unit-bins: $(UNIT_BINS) $(ROOT_BINS)

# gcc lets a goto jump over the initialisation of a cleanup variable (whose
# cleanup then frees garbage); clang refuses it. -fsyntax-only: a few seconds.
clang-check:
	@for f in $(SRCS); do clang -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Isrc $(PKG_CFLAGS) \
		-fsyntax-only -Wno-everything $$f || { echo "clang-check: $$f (above)"; exit 1; }; done

# Layers depend downward only and modules form no cycle (tools/layers says
# the ranks); read from the built objects' symbols and the includes.
layers: all
	@tools/layers $(BUILD)

# No function over 100 lines, no file over 700 (tools/sizes lists the known
# ones still to split; the list may only shrink).
sizes:
	@tools/sizes

unit: all unit-bins
	@tests/run --unit-only

integration: all
	@tests/run --integration-only $(TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@$(DEMO)

FUZZ_SECONDS ?= 60
# A module clang cannot compile must not stop the fuzzing of the others: the
# targets link with whatever objects built (a target that needs a missing one
# fails at link time, loudly).
fuzz:
	@$(MAKE) --no-print-directory -k BUILD=build/fuzz CC=clang CFLAGS='-O1 -g' \
		SAN_FLAGS='-fsanitize=fuzzer-no-link,address,undefined -Wno-error' build/fuzz/libbox.a || \
		{ echo "fuzz: some objects do not build with clang (above); linking the targets without them"; \
		  rm -f build/fuzz/libbox.a; ar rcs build/fuzz/libbox.a $$(find build/fuzz/src -name '*.o'); }
	@mkdir -p build/fuzz/bin
	@for f in tests/fuzz/fuzz-*.c; do \
		n=$$(basename $$f .c); \
		clang -O1 -g -std=gnu11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
			-o build/fuzz/bin/$$n $$f build/fuzz/libbox.a $(PKG_LIBS) -lpthread || exit 1; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		mkdir -p build/fuzz/corpus-$$n; \
		build/fuzz/bin/$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=0 \
			build/fuzz/corpus-$$n tests/fuzz/corpus/$$n >build/fuzz/$$n.log 2>&1 \
			|| { tail -40 build/fuzz/$$n.log; exit 1; }; \
		grep -E '^(#[0-9]+|Done)' build/fuzz/$$n.log | tail -1; \
	done

bench:
	@$(DEPS) bench
	@$(MAKE) --no-print-directory all
	@tools/bench $(BENCH)

# What `make install` puts where (below DESTDIR PREFIX); `make uninstall`
# removes exactly these, then the folders that are left empty (of the
# generic ones, such as bin/, only in a staged DESTDIR install).
BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man
COMPDIR := $(PREFIX)/share/bash-completion/completions
UNITDIR := $(PREFIX)/lib/systemd/system
OWN_DIRS := $(PREFIX)/share/boxes/templates $(PREFIX)/share/boxes $(PREFIX)/share/doc/boxes/examples \
	$(PREFIX)/share/doc/boxes
GENERIC_DIRS := $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(MANDIR) $(COMPDIR) $(PREFIX)/share/bash-completion \
	$(UNITDIR) $(PREFIX)/lib/systemd $(PREFIX)/lib $(PREFIX)/share/doc $(PREFIX)/share $(PREFIX)
INSTALLED := $(BINDIR)/box $(COMMANDS:%=$(BINDIR)/box-%) $(MANDIR)/man1/box.1 $(MANDIR)/man5/box.conf.5 \
	$(MANDIR)/man5/boxes.conf.5 $(COMPDIR)/box $(COMMANDS:%=$(COMPDIR)/box-%) \
	$(PREFIX)/share/boxes/templates/busybox $(PREFIX)/share/boxes/templates/debian \
	$(PREFIX)/share/boxes/templates/debian-docker \
	$(patsubst conf/%,$(PREFIX)/share/doc/boxes/examples/%,$(wildcard conf/*.conf)) \
	$(UNITDIR)/boxes-autostart.service

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(COMPDIR) \
		$(DESTDIR)$(PREFIX)/share/boxes/templates $(DESTDIR)$(PREFIX)/share/doc/boxes/examples \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/box $(DESTDIR)$(BINDIR)/box
	@for c in $(COMMANDS); do ln -sf box $(DESTDIR)$(BINDIR)/box-$$c; done
	install -m 0644 $(BUILD)/man/box.1 $(DESTDIR)$(MANDIR)/man1/box.1
	install -m 0644 $(BUILD)/man/box.conf.5 $(BUILD)/man/boxes.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 conf/box.bash-completion $(DESTDIR)$(COMPDIR)/box
	@for c in $(COMMANDS); do ln -sf box $(DESTDIR)$(COMPDIR)/box-$$c; done
	install -m 0755 templates/busybox templates/debian templates/debian-docker $(DESTDIR)$(PREFIX)/share/boxes/templates/
	install -m 0644 conf/*.conf $(DESTDIR)$(PREFIX)/share/doc/boxes/examples/
	sed 's|/usr/local/bin/box|$(BINDIR)/box|' conf/boxes-autostart.service \
		>$(DESTDIR)$(UNITDIR)/boxes-autostart.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@for d in $(OWN_DIRS) $(if $(DESTDIR),$(GENERIC_DIRS)); do \
		[ -d "$(DESTDIR)$$d" ] && rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d"; done; true
	@$(if $(DESTDIR),d="$(PREFIX)"; while [ -n "$$d" ] && [ "$$d" != / ]; do \
		rmdir "$(DESTDIR)$$d" 2>/dev/null || break; d=$$(dirname "$$d"); done; true)

FORMAT_SRCS = $(SRCS) $(wildcard src/*.h src/*/*.h tests/unit/*.[ch] tests/root/*.c tests/fuzz/*.c)
format:
	clang-format -i $(FORMAT_SRCS)

# The house style is .clang-format; a file that differs fails the check
# (run `make format`).
format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRCS) 2>&1 | head -20; \
		clang-format --dry-run -Werror $(FORMAT_SRCS) >/dev/null 2>&1 || \
		{ echo "format-check: the files above differ from .clang-format (make format)"; exit 1; }

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(LIB_OBJS:$(BUILD)/%.o=build/asan/%.d)
