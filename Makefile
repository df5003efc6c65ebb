# tapelib — two commands on a fresh Debian 12 machine: `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# Debian packages the build and the tests need; installed when missing.
DEB_PACKAGES := libsgutils2-dev libudev-dev libsqlite3-dev pkg-config postgresql mtx sg3-utils libiscsi-dev tgt stenc curl openssl python3-venv \
	chromium chromium-driver
SIM_STATE ?= $(CURDIR)/.demo-state
BIN := .build/debug/tapelib
# Release build with the Swift runtime linked in, for `make bench`. Linked by lld with packed
# relative relocations (DT_RELR, glibc ≥ 2.36 as in Debian 12): the ~80,000 relocations of
# the binary's metadata take 15 KB instead of 1.9 MB to read at every start (~0.5 ms).
STATIC_BUILD := -c release --static-swift-stdlib --scratch-path .build-static \
	-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs

.PHONY: all deps build test crash demo bench clean shim

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

# `swift test` includes the crash test (CrashRecoveryTests) with 5 kills, about 20 s; then the
# API's contract: schemathesis (installed into .build/venv from PyPI) against a live
# `tapelib serve --sim midsize`, about 1.5 min; then the web page in headless chromium
# (selenium in the same virtualenv), about 1 min, screenshots in .build/ui-screenshots.
test: deps shim
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	scripts/api-contract.sh
	scripts/ui-test.sh

# The crash test in full: tapelib serve --hwsim over a persistent tapelib-hwsim server (mechanics
# at 1/100 of real time), a mixed workload queued (moves, loads/unloads, short and long erases,
# plain and LTFS formats, imports, exports, cleans), kill -9 of the service at random moments
# CRASH_KILLS times (the hwsim server restarted every fifth); after each restart and its
# recovery: no task left running, catalog locations = the simulator's, no cartridge stranded
# in a drive. Prints the counts; CRASH_SEED=N replays a run.
CRASH_KILLS ?= 50
crash: deps
	$(SWIFT) build --build-tests
	TAPELIB_CRASH_KILLS=$(CRASH_KILLS) $(if $(CRASH_SEED),TAPELIB_CRASH_SEED=$(CRASH_SEED)) \
	  $(SWIFT) test --skip-build --filter CrashRecoveryTests

demo: build
	@echo "== tapelib against the simulated mid-size library (sim:midsize, state in $(SIM_STATE)) =="
	$(BIN) inquiry --device sim:midsize --sim-state $(SIM_STATE)
	$(BIN) changer status --device sim:midsize --sim-state $(SIM_STATE)
	$(BIN) changer load --device sim:midsize --sim-state $(SIM_STATE) --slot 1 --drive 0
	$(BIN) drive status --device sim:midsize --sim-state $(SIM_STATE) --drive 0
	$(BIN) changer unload --device sim:midsize --sim-state $(SIM_STATE) --drive 0
	@echo "== the service (tapelib serve) with an embedded simulated library, driven through its task queue =="
	BIN=$(BIN) scripts/demo-service.sh $(SIM_STATE)
	@echo "== done; state kept in $(SIM_STATE) (remove it to start over) =="

# Debian packages only the benchmarks need (the API's load generator and the static-file baseline).
BENCH_PACKAGES := wrk nginx-light

bench: deps
	@missing=""; for p in $(BENCH_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	$(SWIFT) build -c release --product tapelib-bench
	# tapelib as one would ship it: the Swift runtime and Foundation linked statically, which
	# cuts process start-up from ~16 ms to ~4 ms here (the shim benchmark times whole runs).
	# Its own build folder, so that the two link modes do not rebuild each other.
	$(SWIFT) build $(STATIC_BUILD) --product tapelib
	$(SWIFT) build $(STATIC_BUILD) --product tapelib-tools
	$(SWIFT) build -c release --product tapelib-hwsim
	# SCSI, catalog, and the engine's sync of a generated 50,000-slot library (in-process hwsim).
	.build/release/tapelib-bench
	# Through the sg shim on one `large` server: mtx status, the engine's sync over SG_IO
	# (tapelib-bench again, LD_PRELOADed), tapelib changer status and its start-up.
	TAPELIB=.build-static/release/tapelib scripts/bench-shim.sh
	# The REST API under wrk: a 50,000-slot simulated library served by tapelib serve (30 s per figure).
	TOOLS=.build-static/release/tapelib-tools BENCH=.build/release/tapelib-bench scripts/bench-api.sh
	# The web page from headless chromium: first complete paint of the large map and of 1,000 tasks.
	BIN=.build-static/release/tapelib scripts/ui-test.sh bench

clean:
	rm -rf .build $(SIM_STATE)

# The sg shim (hwsim/shim): LD_PRELOAD library that maps /dev/hwsim/sgN to a tapelib-hwsim
# server. Prints the library's absolute path as its last line.
shim:
	@$(MAKE) -s --no-print-directory -C hwsim/shim OUT=$(CURDIR)/.build/shim print
