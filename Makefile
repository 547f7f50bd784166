# Shipworm - one plain GNU Makefile.
#
#   make            build libshipworm, tests, tools and benchmarks (gcc)
#   make check      install missing Debian packages, build, run every test
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make asan       unit tests under AddressSanitizer (+UBSan), clang
#   make ubsan      unit tests under UndefinedBehaviorSanitizer, gcc
#   make bench      build and run the micro-benchmarks in bench/
#   make install    PREFIX=/usr/local DESTDIR= (also the user _shipworm
#                   when DESTDIR is empty)
#
# Objects go to $(O) (default build/default), so that gcc, clang and the
# sanitizer builds live side by side.

PREFIX    ?= /usr/local
DESTDIR   ?=
O         ?= build/default
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10
PKG_CONFIG ?= pkg-config

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wmissing-declarations -Wpointer-arith \
	-Wcast-qual -Wformat=2 -Wvla -Wundef -Wwrite-strings \
	-Wimplicit-fallthrough -Wnull-dereference
# The core parses untrusted bytes: integer narrowing must be explicit there.
LIB_WARN := -Wconversion

OPT      ?= -O2 -g
SANITIZE ?=
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SANITIZE) -MMD -MP \
	-fstack-protector-strong -ffunction-sections -Ilib $(WEAKEN_FLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANITIZE) $(LDFLAGS)

CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcrypto 2>/dev/null)
CRYPTO_LIBS   := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
CMOCKA_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
PCAP_LIBS     := $(shell $(PKG_CONFIG) --libs libpcap 2>/dev/null || echo -lpcap)
MNL_LIBS      := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
NFTNL_LIBS    := $(shell $(PKG_CONFIG) --libs libnftnl 2>/dev/null || echo -lnftnl)

# Test builds only (tests/attacks/): WEAKEN=NAME compiles that one defence
# out (lib/weaken.h lists them).  Production builds never set it.
WEAKEN   ?=
WEAKEN_FLAGS := $(if $(WEAKEN),-DSW_WEAKEN_$(shell echo '$(WEAKEN)' | tr 'a-z-' 'A-Z_')=1)

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(O)/%.o)
LIB_A     := $(O)/libshipworm.a

# sys/: the only code that makes system calls; daemon/ and cli/: programs.
SYS_SRC   := $(sort $(wildcard sys/*.c))
SYS_OBJ   := $(SYS_SRC:%.c=$(O)/%.o)
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(O)/%.o)
CLI_SRC   := $(sort $(wildcard cli/*.c))
CLI_OBJ   := $(CLI_SRC:%.c=$(O)/%.o)
PROGS     := $(strip $(if $(DAEMON_SRC),$(O)/shipwormd) $(if $(CLI_SRC),$(O)/shipworm))
NETNS_SRC := $(sort $(wildcard tests/netns/*.c))
NETNS_BIN := $(NETNS_SRC:%.c=$(O)/%)

UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:%.c=$(O)/%)
CONF_SRC  := $(sort $(wildcard tests/conformance/*.c))
CONF_BIN  := $(CONF_SRC:%.c=$(O)/%)
SIM_SRC   := $(sort $(filter-out tests/sim/test_%.c,$(wildcard tests/sim/*.c)))
SIM_OBJ   := $(SIM_SRC:%.c=$(O)/%.o)
SIMT_SRC  := $(sort $(wildcard tests/sim/test_*.c))
SIMT_BIN  := $(SIMT_SRC:%.c=$(O)/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:%.c=$(O)/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(notdir $(FUZZ_SRC:.c=))

.PHONY: demo lint-man all check fuzz fuzz-build fuzz-smoke asan ubsan bench bench-relay install \
	install-user uninstall clean deps check-pure

all: $(LIB_A) $(PROGS) $(UNIT_BIN) $(SIMT_BIN) $(CONF_BIN) $(BENCH_BIN) \
	$(NETNS_BIN)

$(O)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LIB_WARN) $(CRYPTO_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(O)/sys/%.o $(O)/daemon/%.o $(O)/cli/%.o: CFLAGS_ALL += -Isys
$(O)/sys/%.o: sys/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<
$(O)/daemon/%.o: daemon/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<
$(O)/cli/%.o: cli/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(O)/shipwormd: $(DAEMON_OBJ) $(SYS_OBJ) $(LIB_A)
	$(CC) -o $@ $(DAEMON_OBJ) $(SYS_OBJ) $(LIB_A) $(LDFLAGS_ALL) $(NFTNL_LIBS) $(MNL_LIBS) $(CRYPTO_LIBS)

$(O)/shipworm: $(CLI_OBJ) $(SYS_OBJ) $(LIB_A)
	$(CC) -o $@ $(CLI_OBJ) $(SYS_OBJ) $(LIB_A) $(LDFLAGS_ALL) $(NFTNL_LIBS) $(MNL_LIBS) $(CRYPTO_LIBS)

# Small helper programs for the network-namespace tests.
$(O)/tests/netns/%: tests/netns/%.c $(SYS_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Isys -o $@ $< $(SYS_OBJ) $(LIB_A) $(LDFLAGS_ALL) $(NFTNL_LIBS) $(MNL_LIBS) $(CRYPTO_LIBS)

$(O)/tests/unit/%: tests/unit/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_A) $(LDFLAGS_ALL) $(CMOCKA_LIBS) $(CRYPTO_LIBS)

# The simulator (tests/sim/*.c) drives the real core on a virtual network;
# each tests/sim/test_*.c is a scenario suite linked with it.
$(O)/tests/sim/%.o: tests/sim/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(O)/tests/sim/test_%: tests/sim/test_%.c $(SIM_OBJ) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(SIM_OBJ) $(LIB_A) $(LDFLAGS_ALL) $(CMOCKA_LIBS) $(CRYPTO_LIBS)

$(O)/tests/conformance/%: tests/conformance/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_A) $(LDFLAGS_ALL) $(PCAP_LIBS) $(CRYPTO_LIBS)

$(O)/bench/%: bench/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_A) $(LDFLAGS_ALL) $(CRYPTO_LIBS)

# The core makes no system call and allocates only in *_new/*_free.
check-pure: $(LIB_OBJ)
	scripts/check-pure $(LIB_OBJ)

deps:
	scripts/deps

# ---- sanitizer builds ---------------------------------------------------
asan:
	$(MAKE) O=build/asan CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	    all
	tests/run --unit-only build/asan

ubsan:
	$(MAKE) O=build/ubsan OPT="-O1 -g" \
	    SANITIZE="-fsanitize=undefined -fno-sanitize-recover=all" all
	tests/run --unit-only build/ubsan

# ---- fuzzing (clang + libFuzzer, ASan + UBSan) ----------------------------
FUZZ_O ?= build/fuzz
FUZZ_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_BIN := $(FUZZ_NAMES:%=$(FUZZ_O)/%)

fuzz-build:
	$(MAKE) O=$(FUZZ_O) CC=clang OPT="-O1 -g" \
	    SANITIZE="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" \
	    $(FUZZ_O)/libshipworm.a
	$(MAKE) O=$(FUZZ_O) CC=clang $(FUZZ_BIN)

$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_O)/libshipworm.a
	@mkdir -p $(@D)
	clang -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Ilib $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer -o $@ $< $(FUZZ_O)/libshipworm.a $(CRYPTO_LIBS)

fuzz: fuzz-build
	FUZZ_O=$(FUZZ_O) tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_NAMES)

# ---- the whole suite ------------------------------------------------------
check: deps
	$(MAKE) all
	tests/run $(O)

bench: all
	@for b in $(BENCH_BIN); do echo "== $$b"; $$b || exit 1; done

# iperf3 through client + relay, ours vs Miredo vs an in-kernel VXLAN, in
# network namespaces (as root; about 4 minutes; installs iperf3).
bench-relay: all
	bash bench/relay.sh $(O)

# A Teredo server and two clients behind two kinds of NAT, in network
# namespaces (as root); builds first (scripts/deps, make O=$(O)).
demo:
	bash scripts/demo $(O)

lint-man:
	mandoc -Tlint -Wwarning man/*.[1-8]

# ---- install --------------------------------------------------------------
install: $(LIB_A) $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/sbin
	$(if $(PROGS),install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/sbin/)
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	$(if $(wildcard man/*.8),install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/)
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/shipworm
	install -m 0644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 lib/*.h $(DESTDIR)$(PREFIX)/include/shipworm/
	install -d $(DESTDIR)$(PREFIX)/share/man/man3
	install -m 0644 man/*.3 $(DESTDIR)$(PREFIX)/share/man/man3/
	$(if $(DESTDIR),,@$(MAKE) -s install-user)

# The engine's user (shipwormd(8)): a system user and group of its own,
# made once.  Skipped with DESTDIR: a package makes it in its maintainer
# scripts.  `make uninstall` leaves it (files it owned may remain).
install-user:
	@if ! getent passwd _shipworm >/dev/null; then \
	    if command -v adduser >/dev/null; then \
	        adduser --system --group --no-create-home \
	            --home /nonexistent --quiet _shipworm; \
	    else \
	        useradd --system --user-group --no-create-home \
	            --home-dir /nonexistent --shell /usr/sbin/nologin \
	            _shipworm; \
	    fi && echo "made the system user _shipworm (the engine's)"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/shipwormd $(DESTDIR)$(PREFIX)/sbin/shipworm
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man5/,$(notdir $(wildcard man/*.5)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man8/,$(notdir $(wildcard man/*.8)))
	rm -f $(DESTDIR)$(PREFIX)/lib/libshipworm.a
	rm -rf $(DESTDIR)$(PREFIX)/include/shipworm
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man3/,$(notdir $(wildcard man/*.3)))

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(SYS_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(CLI_OBJ:.o=.d) \
	$(NETNS_BIN:=.d) $(SIM_OBJ:.o=.d) $(SIMT_BIN:=.d) $(UNIT_BIN:=.d) $(CONF_BIN:=.d) $(BENCH_BIN:=.d)
