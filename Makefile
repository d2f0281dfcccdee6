# posthorn — see README.  `make` builds bin/; `make test` runs every test.
#
# Every cmd/NAME.c, or folder cmd/NAME/ of .c files, becomes bin/posthorn-NAME
# and links lib/ through one archive, so a program pulls in only the modules
# it calls.
# Programs that speak TLS (they call lib/stream), or need libcrypto
# (dnscheck; learn, for SHA-256), also list themselves in TLS_PROGRAMS and are the only ones
# linked with libtls: the per-message path (queue, local, runq) must not pay
# libtls' start-up cost.

PROGRAMS     = $(sort $(basename $(notdir $(wildcard cmd/*.c))) \
                      $(notdir $(patsubst %/,%,$(dir $(wildcard cmd/*/*.c)))))
TLS_PROGRAMS = smtpd remote pop3d imapd dnscheck learn
# Programs that compress a session (lib/zstream: IMAP COMPRESS=DEFLATE):
# the only ones linked with zlib.
ZLIB_PROGRAMS = imapd
# posthorn-queue signs (lib/dkimsign) with libcrypto opened on first use,
# not linked: --gc-sections drops lib/dkim's verifier, which it does not
# call, and with it every libcrypto reference (lib objects are compiled
# with -ffunction-sections for that).  A static libcrypto cost each exec
# about 0.3 ms; posthorn-queue runs once per message.
GC_PROGRAMS = queue
GC_LDFLAGS  = -Wl,--gc-sections
# posthorn-smtpd could be linked without PIE (make NOPIE_LDFLAGS=-no-pie):
# its static libcrypto carries some 19,000 relative relocations, and a PIE
# start writes them into about 100 pages of its own (198 page faults per
# greeting + QUIT instead of 97; build/tools/execcost, 3 x 1,000 starts:
# 1.69-1.78 ms of CPU per start instead of 1.42-1.49), on every connection.
# It stays PIE by default all the same: it is the program the whole
# internet talks to, and without PIE its code (libcrypto's with it) sits at
# the same address in every connection, which is what an attacker who has
# found a memory bug needs to build a ROP chain; with a fresh exec per
# connection, PIE gives every connection a new layout.  0.27 ms of the
# 6-7 ms a message costs does not buy that back.
NOPIE_PROGRAMS = smtpd
NOPIE_LDFLAGS  =
# posthorn-smtpd opens libtls (and libcrypto, for DKIM) only when a session
# uses them: it links lib/tlsdl.o, which defines the libtls and libcrypto
# functions it calls and forwards them to the shared libraries, opened on
# first use by the absolute paths found here at build time (never a search
# path).  The static libcrypto's relocated data alone was some 370 KiB of
# private memory in every idle SMTP session.  See lib/tlsdl.h.
TLSDL_PROGRAMS = smtpd
tlsdl_path = $(shell p=$$(realpath $$($(CC) -print-file-name=$(1).so)); \
	echo $$(dirname $$p)/$$(objdump -p $$p | awk '/SONAME/ {print $$2}'))
# lib/tlsdl.c defines SSL_CTX_callback_ctrl for the ticket repair of
# lib/tlsticket.h; exported, it is the one libtls.so's call binds to.
TLSDL_LDFLAGS = -Wl,--export-dynamic-symbol=SSL_CTX_callback_ctrl
TLSDL_DEFS = -DTLSDL_LIBCRYPTO='"$(call tlsdl_path,libcrypto)"' \
	-DTLSDL_LIBSSL='"$(call tlsdl_path,libssl)"' -DTLSDL_LIBTLS='"$(call tlsdl_path,libtls)"'

CC      ?= cc
CLANG   ?= clang
PREFIX  ?= /usr/local

# The libowfat/tinycdb header clash (both ship cdb.h) is solved here and in
# tools/deps only: tinycdb's header and static library are unpacked into
# CDBDIR, whose include dir comes first and whose libcdb.a links before
# libowfat.
CDBDIR   = .deps/cdb
CDB_INC  = -I$(CDBDIR)/include
CDB_LIB  = $(CDBDIR)/lib/libcdb.a

B       = build
BINDIR  = bin

WARN     = -Wall -Wextra -Wno-unused-parameter
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
OPTFLAGS = -O2
CFLAGS   = -std=c11 $(OPTFLAGS) $(WARN) $(HARDEN) -D_GNU_SOURCE
CPPFLAGS = $(CDB_INC) -Ilib
LDFLAGS  = -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LIBS     = $(CDB_LIB) -l:libowfat.a -lcrypt
# Static libtls/libssl/libcrypto: a dynamic libcrypto costs every TLS-capable
# program about a millisecond of relocations at each exec, TLS session or not.
# The wrap: libtls' session-ticket callback goes through lib/tlsticket.c,
# which -u links into every program that links libtls (see tlsticket.h).
TLS_LIBS = -Wl,--wrap=SSL_CTX_callback_ctrl -Wl,-u,__wrap_SSL_CTX_callback_ctrl \
	-l:libtls.a -l:libssl.a -l:libcrypto.a -lpthread

LIB_SRC  = $(filter-out lib/tlsdl.c,$(wildcard lib/*.c))
LIB_OBJ  = $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
TLS_OBJ  = $(filter $(B)/lib/stream.o $(B)/lib/zstream.o $(B)/lib/tlsserver.o $(B)/lib/tlsticket.o $(B)/lib/tlsticketwrap.o $(B)/lib/handoff.o $(B)/lib/srvopts.o,$(LIB_OBJ))
CORE_OBJ = $(filter-out $(TLS_OBJ),$(LIB_OBJ))
UNIT_SRC = $(wildcard tests/unit/*.c)
UNITS    = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%.t)
FUZZ_SRC = $(wildcard tests/fuzz/*.c)
FUZZERS  = $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
BINS     = $(PROGRAMS:%=$(BINDIR)/posthorn-%)

PROVE    = prove

# make musl (MUSL=1): the per-message programs that need neither TLS nor
# libxcrypt, linked statically against musl into build-musl/bin, from the
# same sources.  glibc's start-up probes the CPU caches with cpuid, which
# traps to the hypervisor on a VM (about 0.9 ms per exec measured here);
# musl's does not (README, "Start-up cost").  Not part of make or make
# test; tools/deps-musl builds libowfat and tinycdb for musl.  Left out
# of the musl archive: lib/passwd (libxcrypt's yescrypt: smtpd AUTH,
# mailauth and user stay glibc), lib/dmarc (libpsl), and the TLS modules.
# posthorn-queue's DKIM signing dlopens libcrypto, which a static program
# cannot: posthorn-queue(8) says what the musl queue does then.
MUSL_PROGRAMS = local queue runq sendmail
MUSLDIR       = .deps/musl
ifdef MUSL
B        = build-musl
BINDIR   = build-musl/bin
# gcc with tools/deps-musl's copy of Debian's musl-gcc.specs, which (unlike
# the original) makes -static-pie a static PIE, not a program of musl's libc.so
CC       = gcc -specs $(MUSLDIR)/musl-gcc.specs
CDB_LIB  = $(MUSLDIR)/lib/libcdb.a
CPPFLAGS = -I$(MUSLDIR)/cdb -I$(MUSLDIR)/libowfat -I$(MUSLDIR) -Ilib
# no _FORTIFY_SOURCE: musl has no __*_chk functions; static PIE keeps ASLR
# (posthorn-queue is set-user-ID)
HARDEN   = -fstack-protector-strong -fPIE
LDFLAGS  = -static-pie -Wl,-z,relro,-z,now
LIBS     = $(CDB_LIB) $(MUSLDIR)/lib/libowfat.a
TLS_OBJ  =
CORE_OBJ = $(filter-out $(B)/lib/passwd.o $(B)/lib/dmarc.o $(B)/lib/stream.o $(B)/lib/zstream.o $(B)/lib/tlsserver.o \
                        $(B)/lib/handoff.o $(B)/lib/srvopts.o,$(LIB_OBJ))
DEPS_CMD = tools/deps-musl $(MUSLDIR)
else
DEPS_CMD = tools/deps $(CDBDIR)
endif

.PHONY: all deps test unit asan fuzz fuzz-build bench run clean lint install uninstall musl musl-programs test-musl
.SECONDARY:

all: $(BINS) $(UNITS) $(B)/tools/dkimverify

deps $(CDB_LIB):
	@$(DEPS_CMD)

$(B)/lib/%.o: lib/%.c $(CDB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -ffunction-sections -fdata-sections -MMD -MP -c -o $@ $<

$(B)/lib/tlsdl.o: CPPFLAGS += $(TLSDL_DEFS)

$(B)/tests/%.o: tests/unit/%.c $(CDB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libposthorn.a: $(CORE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/libposthorn-tls.a: $(TLS_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/cmd/%.o: cmd/%.c $(CDB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# A program's objects: cmd/NAME.o, or every cmd/NAME/*.o of a folder.
prog_objs = $(if $(wildcard cmd/$(1).c),$(B)/cmd/$(1).o,$(patsubst cmd/%.c,$(B)/cmd/%.o,$(wildcard cmd/$(1)/*.c)))

.SECONDEXPANSION:
$(BINDIR)/posthorn-%: $$(call prog_objs,$$*) $(B)/libposthorn.a $(B)/libposthorn-tls.a $$(if $$(filter $$*,$(TLSDL_PROGRAMS)),$(B)/lib/tlsdl.o)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(call prog_objs,$*) $(if $(filter $*,$(TLSDL_PROGRAMS)),$(B)/lib/tlsdl.o $(TLSDL_LDFLAGS)) \
		$(if $(filter $*,$(TLS_PROGRAMS)),$(B)/libposthorn-tls.a) $(B)/libposthorn.a $(LIBS) \
		$(if $(filter $*,$(TLSDL_PROGRAMS)),,$(if $(filter $*,$(TLS_PROGRAMS)),$(TLS_LIBS))) \
		$(if $(filter $*,$(ZLIB_PROGRAMS)),-lz) \
		$(if $(filter $*,$(GC_PROGRAMS)),$(GC_LDFLAGS)) \
		$(if $(filter $*,$(NOPIE_PROGRAMS)),$(NOPIE_LDFLAGS))

# Unit tests link everything (TLS included): they are not on any hot path.
$(B)/tests/%.t: $(B)/tests/%.o $(B)/libposthorn.a $(B)/libposthorn-tls.a
	$(CC) $(LDFLAGS) -o $@ $< $(B)/libposthorn-tls.a $(B)/libposthorn.a $(LIBS) $(TLS_LIBS) -lz

musl:
	@$(MAKE) MUSL=1 musl-programs

musl-programs: $(MUSL_PROGRAMS:%=$(BINDIR)/posthorn-%) $(B)/tools/hello-static

# The tests of the musl programs: build-musl/mixbin holds the glibc
# programs with the musl ones in their place (copies: runq finds local next
# to its own /proc/self/exe).
MUSL_TESTS = $(wildcard tests/local*.t tests/queue*.t tests/runq*.t tests/crash*.t tests/sendmail*.t) \
             tests/smtpd-e2e.t tests/sendlimit.t
test-musl: all
	@$(MAKE) MUSL=1 musl-programs
	rm -rf build-musl/mixbin && mkdir -p build-musl/mixbin
	cp -p $(BINDIR)/posthorn-* build-musl/mixbin/
	cp -p $(MUSL_PROGRAMS:%=build-musl/bin/posthorn-%) build-musl/mixbin/
	POSTHORN_BIN=$(CURDIR)/build-musl/mixbin POSTHORN_BUILD=$(CURDIR)/$(B) $(PROVE) $(MUSL_TESTS)

# The test suite: the sanitizer build first, then the normal build, whose
# prove summary is the last line.  POSTHORN_BIN tells the tests which build
# to run.  Tests run as root make and remove system accounts:
# tools/passwd-check (silent when all is well) fails the run if /etc/passwd
# or /etc/group is not as it was before the first test.
test: deps
	tools/passwd-check save $(B)/passwd-check
	$(MAKE) asan
	$(MAKE) all
	POSTHORN_BIN=$(CURDIR)/$(BINDIR) POSTHORN_BUILD=$(CURDIR)/$(B) $(PROVE) tests/*.t $(B)/tests/*.t
	tools/passwd-check compare $(B)/passwd-check

unit: all
	POSTHORN_BIN=$(CURDIR)/$(BINDIR) POSTHORN_BUILD=$(CURDIR)/$(B) $(PROVE) $(B)/tests/*.t

# AddressSanitizer + UndefinedBehaviorSanitizer: the same programs and tests,
# built in build-asan/.  Any report aborts the program, so a test fails.
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan: deps
	$(MAKE) B=build-asan BINDIR=build-asan/bin HARDEN=-fPIE \
		OPTFLAGS="$(ASAN_FLAGS)" LDFLAGS="-pie -fsanitize=address,undefined" NOPIE_LDFLAGS= all
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	POSTHORN_SANITIZER=1 POSTHORN_BIN=$(CURDIR)/build-asan/bin POSTHORN_BUILD=$(CURDIR)/build-asan \
		$(PROVE) tests/*.t build-asan/tests/*.t

# libFuzzer targets, one per parser of outside input.  `make fuzz` runs each
# for FUZZ_SECONDS; tests/fuzz.t runs each for a few seconds in `make test`.
FUZZ_SECONDS = 60
FUZZ_CFLAGS  = -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE $(CPPFLAGS)
# lib/ is compiled for the fuzzers once, into an archive each target links
# (compiling every module again for each target took most of `make test`).
FUZZ_LIB_SRC = $(filter-out lib/stream.c lib/zstream.c lib/tlsserver.c lib/tlsticket.c lib/tlsticketwrap.c lib/handoff.c lib/srvopts.c,$(LIB_SRC))
FUZZ_LIB_OBJ = $(FUZZ_LIB_SRC:lib/%.c=$(B)/fuzz/lib/%.o)
$(B)/fuzz/lib/%.o: lib/%.c $(CDB_LIB)
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -fsanitize=fuzzer-no-link,address,undefined -D_GNU_SOURCE $(CPPFLAGS) -MMD -MP -c -o $@ $<
$(B)/fuzz/libposthorn-fuzz.a: $(FUZZ_LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
# The inflating reader's target (zstream) runs lib/stream over a pipe: it
# alone links lib/stream, libtls and zlib.
FUZZ_ZSTREAM = $(B)/fuzz/lib/stream.o $(B)/fuzz/lib/zstream.o
FUZZ_ZSTREAM_LIBS = -l:libtls.a -l:libssl.a -lz
$(B)/fuzz/zstream: $(FUZZ_ZSTREAM)
$(B)/fuzz/%: tests/fuzz/%.c $(B)/fuzz/libposthorn-fuzz.a $(CDB_LIB)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(if $(filter zstream,$*),$(FUZZ_ZSTREAM)) $(B)/fuzz/libposthorn-fuzz.a $(LIBS) \
		$(if $(filter zstream,$*),$(FUZZ_ZSTREAM_LIBS)) -l:libcrypto.a -lpthread

fuzz-build: $(FUZZERS)

fuzz: fuzz-build
	@for f in $(FUZZERS); do \
		n=$$(basename $$f); mkdir -p $(B)/fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(B)/fuzz/corpus-$$n tests/fuzz/seeds/$$n 2>&1 | tail -3 || exit 1; \
	done

# tools/bench, then each program's own tools/bench-NAME.
$(B)/tools/maxrss: tools/maxrss.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tools/cpuacct: tools/cpuacct.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# tools/bench-exec: the CPU of one start of each program (execcost), next
# to a static hello, the floor of a fork + exec.
$(B)/tools/execcost: tools/execcost.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/tools/hello-static: tools/hello.c
	@mkdir -p $(@D)
	$(CC) -O2 -static -o $@ $<

# lib/dkim with key records from a table, for tests/dkim-oracle.t.
$(B)/tools/dkimverify: tools/dkimverify.c lib/dkim.h $(B)/libposthorn.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libposthorn.a $(LIBS) -l:libcrypto.a -lpthread

bench: all $(B)/tools/maxrss $(B)/tools/cpuacct $(B)/tools/execcost $(B)/tools/hello-static
	tools/bench
	@for b in tools/bench-*; do [ -x "$$b" ] && "$$b" || true; done

run: all
	tools/demo

lint:
	mandoc -Tlint -Wwarning man/*.[1-8]

# make install [PREFIX=/usr/local] [DESTDIR=...] [SENDMAIL=...] [MAILQ=...]
#              [FORCE_SENDMAIL=1]
# Programs into PREFIX/bin, posthorn-setup into PREFIX/sbin, man pages, the
# example config and service scripts into PREFIX/share/posthorn, and the
# sendmail and mailq links (SENDMAIL, MAILQ: /usr/sbin/sendmail and
# /usr/bin/mailq to be the system's).  tools/install-prog puts each file in
# place with one rename, owner and mode already set, so that make install is
# safe on a running system (README, "Upgrading").  posthorn-queue and
# posthorn-mailauth get the owners and set-user-ID bits posthorn-setup(8)
# gives them, as root without DESTDIR once the accounts exist; otherwise (the
# first install, not root, DESTDIR for a package) they go in without the bit
# and posthorn-setup sets it.  A SENDMAIL or MAILQ that is not an earlier
# posthorn's link is left alone, and nothing is installed, unless
# FORCE_SENDMAIL=1.  PREFIX/share/posthorn/installed lists what the installs
# made; make uninstall removes that and nothing else.
SENDMAIL ?= $(PREFIX)/sbin/sendmail
MAILQ    ?= $(PREFIX)/bin/mailq
SHAREDIR  = $(PREFIX)/share/posthorn
MANDIR    = $(PREFIX)/share/man
MANPAGES  = $(wildcard man/*.[1-8])
MANSECTIONS = $(sort $(subst .,,$(suffix $(MANPAGES))))
SUID_BINS   = $(BINDIR)/posthorn-queue $(BINDIR)/posthorn-mailauth

install uninstall: export DESTDIR := $(DESTDIR)
install uninstall: export MANIFEST := $(SHAREDIR)/installed
install: export FORCE_SENDMAIL := $(FORCE_SENDMAIL)

install: all
	tools/install-prog check-link $(PREFIX)/bin/posthorn-sendmail $(SENDMAIL) $(MAILQ)
	tools/install-prog begin
	tools/install-prog file 755 - $(filter-out $(SUID_BINS),$(BINS)) $(PREFIX)/bin
	tools/install-prog file 4711 posthorn-q:root $(BINDIR)/posthorn-queue $(PREFIX)/bin
	tools/install-prog file 4750 posthorn-mail:posthorn $(BINDIR)/posthorn-mailauth $(PREFIX)/bin
	tools/install-prog file 755 - tools/posthorn-setup $(PREFIX)/sbin
	$(foreach s,$(MANSECTIONS),tools/install-prog file 644 - $(filter %.$(s),$(MANPAGES)) $(MANDIR)/man$(s) && ) :
	tools/install-prog tree conf $(SHAREDIR)
	tools/install-prog link $(PREFIX)/bin/posthorn-sendmail $(SENDMAIL)
	tools/install-prog link $(PREFIX)/bin/posthorn-sendmail $(MAILQ)
	tools/install-prog end

uninstall:
	tools/install-prog uninstall

clean:
	rm -rf $(B) build-asan build-musl $(BINDIR)

-include $(LIB_OBJ:.o=.d) $(wildcard $(B)/cmd/*.d $(B)/cmd/*/*.d) $(B)/tests/*.d $(wildcard $(B)/fuzz/lib/*.d)
