# SPDX-License-Identifier: BSD-3-Clause
#
#   make          build everything (build/hypervisor/acrn.bin, .elf, .map)
#   make run      install what is missing, build, boot on an emulated VT-x machine
#   make test     install what is missing, run every test tier; prints "N passed, M failed"
#   make check    what CI runs plus the format check
#   make bench    boot figures (instructions to VMX root on 1 and 4 CPUs)
#   make deb      Debian packages from a clean copy of the tree, into build/deb/

BUILD := $(CURDIR)/build
HV_BUILD := $(BUILD)/hypervisor
RUN_CPUS ?= 4
RUN_MEM ?= 512
RUN_CMDLINE ?=

.PHONY: all hypervisor unit-tests run test check format format-check bench deps-build deps-run deps-test clean

all: hypervisor

hypervisor:
	$(MAKE) -C hypervisor O=$(HV_BUILD)

unit-tests:
	$(MAKE) -C hypervisor O=$(HV_BUILD) unit-tests

deps-build deps-run deps-test:
	@sh scripts/install-deps.sh $(patsubst deps-%,%,$@)

# The Service VM of `make run`: Debian's own kernel (fetched once with apt into
# /var/cache/acrn-tests) and a busybox initramfs with a shell on the console.
# clearcpuid=aperfmperf: Bochs lists APERF/MPERF in CPUID but has no such MSRs.
RUN_KERNEL_ARGS ?= console=ttyS0,115200 clearcpuid=aperfmperf
run: deps-run
	@$(MAKE) --no-print-directory hypervisor
	@mkdir -p $(BUILD)/run-guest
	python3 tests/e2e/guest.py initramfs -o $(BUILD)/run-guest/initrd.cpio.gz \
		--init tests/e2e/initramfs/run-init
	python3 tests/e2e/hvrun.py --interactive --cpus $(RUN_CPUS) --mem $(RUN_MEM) \
		--hv $(HV_BUILD)/acrn.bin --out $(BUILD)/run --cmdline "$(RUN_CMDLINE)" \
		--module "$$(python3 tests/e2e/guest.py kernel | cut -d' ' -f2)=Linux_bzImage $(RUN_KERNEL_ARGS)" \
		--module "$(BUILD)/run-guest/initrd.cpio.gz=Linux_initrd"

test: deps-test
	python3 tests/run_tests.py --build $(BUILD)

check: deps-test
	python3 tests/run_tests.py --build $(BUILD) --format-check

FORMAT_FILES = $(shell git ls-files '*.c' '*.h')
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run -Werror $(FORMAT_FILES)

bench: deps-run
	@$(MAKE) --no-print-directory hypervisor
	python3 tests/e2e/bench_boot.py --hv $(HV_BUILD)/acrn.bin --out $(BUILD)/bench

.PHONY: deb
deb:
	sh debian/build-deb.sh $(BUILD)/deb

clean:
	rm -rf $(BUILD)
