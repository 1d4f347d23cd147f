# xv6-rs front door. `make` builds the kernel, the user programs and fs.img;
# `make qemu` boots it; `make test` runs every test. FEATURES= selects the
# kernel's lab features (lazy, cow, mmap, zfod, demand, swap, or several:
# lazy,cow,mmap); CPUS= the number of harts. `make lab-start LAB=cow`
# writes a student's tree for a lab.

CPUS ?= 3
FEATURES ?=
TARGET := riscv64gc-unknown-none-elf
OUT := target/$(TARGET)/release
BUILT := $(OUT)/kernel
FSROOT := target/fsroot
QEMU ?= qemu-system-riscv64

# The user programs: every file in uprogs/src/bin (file or directory).
UPROGS := $(sort $(basename $(notdir $(wildcard uprogs/src/bin/*))))

CARGO_FEATURES := $(if $(strip $(FEATURES)),--features $(FEATURES),)
# The feature set's name, as in target/kernels/SET (base: none).
SET := $(if $(strip $(FEATURES)),$(strip $(FEATURES)),base)
# What QEMU boots: the kernel just built; qemu-gdb boots its own copy.
QEMUKERNEL = $(BUILT)

QEMUOPTS = -machine virt -bios none -kernel $(QEMUKERNEL) -m 128M -smp $(CPUS) -nographic
QEMUOPTS += -global virtio-mmio.force-legacy=false
QEMUOPTS += -drive file=fs.img,if=none,format=raw,id=x0
QEMUOPTS += -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0
# Lab swap's disk, at the next virtio slot: a sparse swap.img of SWAPMB MiB,
# made afresh by `make qemu` when FEATURES has swap.
SWAPMB ?= 256
QEMUOPTS += $(if $(call has-lab,swap,$(FEATURES)),-drive file=swap.img$(comma)if=none$(comma)format=raw$(comma)id=x1 \
	-device virtio-blk-device$(comma)drive=x1$(comma)bus=virtio-mmio-bus.1)

# gdb port derived from the user id, as xv6 does, so users on one machine differ.
GDBPORT := $(shell expr `id -u` % 5000 + 25000)

.PHONY: all kernel uprogs qemu qemu-gdb doc test test-kernels test-full test-full-stress fuzz grade bench diff labs lab-start clean setup host-test clippy fmt fsck crashtest unsafe-report FORCE

all: kernel fs.img

# A fresh machine: the pinned toolchain (a no-op when present) and QEMU.
setup: target/.setup-done
target/.setup-done: rust-toolchain.toml
	@rustup toolchain install
	@if ! command -v $(QEMU) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-misc; \
	  else \
	    echo "*** $(QEMU) not found: install QEMU (Debian/Ubuntu: sudo apt-get install qemu-system-misc)"; exit 1; \
	  fi; \
	fi
	@mkdir -p target && touch $@

kernel: setup
	cargo build --release -p kernel $(CARGO_FEATURES)

uprogs: setup
	cargo build --release -p uprogs

# The disk image: README plus every user program, written by our mkfs.
fs.img: uprogs FORCE
	@rm -rf $(FSROOT) && mkdir -p $(FSROOT)
	@cp README.md $(FSROOT)/README
	@for p in $(UPROGS); do cp $(OUT)/$$p $(FSROOT)/$$p; done
	cargo run -q --release -p mkfs --target host-tuple -- fs.img $(FSROOT)/README $(addprefix $(FSROOT)/,$(UPROGS))

qemu: all
	@$(if $(call has-lab,swap,$(FEATURES)),rm -f swap.img && truncate -s $(SWAPMB)M swap.img)
	$(QEMU) $(QEMUOPTS)

.gdbinit: .gdbinit.tmpl FORCE
	sed -e "s/:1234/:$(GDBPORT)/" -e "s|@KERNEL@|$(GDBKERNEL)|" -e "s|@FEATURES@|$(FEATURES)|" $< > $@

# qemu-gdb boots a copy of the kernel kept for its feature set,
# target/kernels/SET/kernel, and .gdbinit loads the same file: building
# another feature set meanwhile leaves both alone. CPUS=1 steps without
# other harts running in between.
GDBKERNEL := target/kernels/$(SET)/kernel
qemu-gdb: QEMUKERNEL = $(GDBKERNEL)
qemu-gdb: all kernel-$(SET) .gdbinit
	@echo "*** Now run 'gdb-multiarch' in this directory (port $(GDBPORT), kernel $(GDBKERNEL), CPUS=$(CPUS))." 1>&2
	@$(if $(call has-lab,swap,$(FEATURES)),rm -f swap.img && truncate -s $(SWAPMB)M swap.img)
	$(QEMU) $(QEMUOPTS) -S -gdb tcp::$(GDBPORT)

# The kernel's documentation, private items included (FEATURES= adds a
# lab's items): the kernel binary's module list, with the ABI library
# (abi) beside it.
DOC := target/$(TARGET)/doc
doc: setup
	cargo doc -q -p kernel $(CARGO_FEATURES) --no-deps --document-private-items
	@echo "file://$(abspath $(DOC))/kernel/index.html"

# Host-side tests (aliases in .cargo/config.toml): ABI layouts, mkfs, the
# runner and the lab diff.
host-test: setup
	cargo host-test -q

clippy: setup
	cargo clippy --release -p kernel -p ulib -p uprogs -- -D warnings
	@for fs in $(filter-out base,$(FEATURE_SETS)); do \
	  echo "cargo clippy --release -p kernel --features $$fs -- -D warnings"; \
	  cargo clippy --release -p kernel --features $$fs -- -D warnings || exit 1; \
	done
	cargo host-clippy -- -D warnings

fmt:
	cargo fmt --all --check

# Unsafe lines per file and per 1000 kernel code lines (the count is
# defined at the top of the script); fails above UNSAFE_BUDGET per 1000.
UNSAFE_BUDGET ?= 20
unsafe-report:
	@python3 scripts/unsafe-report.py --max $(UNSAFE_BUDGET) kernel/src

# Every feature set gets its own kernel file so one test run can use them
# all. Each is built and clippy-checked; `make test` runs the ones in
# TEST_RUNS below, `make test-full` all of them. (zfod turns lazy on:
# cargo does that, and the suite choice below does it too.)
ALL_LABS := lazy,cow,mmap,zfod,demand
FEATURE_SETS := base lazy cow mmap zfod demand swap lazy,cow lazy,mmap cow,mmap lazy,cow,mmap \
	lazy,cow,zfod,demand lazy,cow,zfod,demand,swap $(ALL_LABS)
kernel-%: setup
	cargo build --release -p kernel $(if $(filter base,$*),,--features $*)
	@mkdir -p target/kernels/$*
	cp $(BUILT) target/kernels/$*/kernel

RUN := cargo run -q --release -p tools --target host-tuple --
# The lab diff, a crate of its own (tools/labdiff) with its Rust parser.
LABDIFF := cargo run -q --release -p labdiff --target host-tuple --

# The lab features a set name turns on, implied ones included: labs-of
# of `cow,zfod` is `cow lazy zfod`.
comma := ,
labs-of = $(subst zfod,lazy zfod,$(subst $(comma), ,$(1)))
has-lab = $(filter $(1),$(call labs-of,$(2)))

# Suites for feature set $* (in the run rules below): the shell check,
# each lab's own tests where the lab is on, the attack suite and
# usertests -q (or the full usertests for test-full). lazystress (ten
# rounds of the lazy lab's worst shapes) runs where LAZYSTRESS_SETS says:
# under zfod it is at its slowest (every load of its 1000 MiB maps the
# zero page), over five minutes, so not with all labs.
LAZYSTRESS_SETS := lazy lazy,cow
# lazytests is left out where swap is on: its "out of memory" case grows
# until memory runs out and expects a kill, but with swap behind it the
# child reaches the end of the address space first and exits 0.
LAB_NAMES = $(if $(call has-lab,lazy,$*),$(if $(call has-lab,swap,$*),,lazytests)) \
	$(if $(filter $*,$(LAZYSTRESS_SETS)),lazystress) \
	$(if $(call has-lab,cow,$*),cowtest) $(if $(call has-lab,zfod,$*),zfodtest) \
	$(if $(call has-lab,demand,$*),demandtest) $(if $(call has-lab,mmap,$*),mmaptest) \
	$(if $(call has-lab,swap,$*),swaptest)
LAB_SUITES = $(patsubst %,--suite %,$(LAB_NAMES))
# The page-fault trace (^T, `pfdemo`): the kills on every kernel, and each
# lab's kinds of fault where the lab is on (trace-lazy not under zfod,
# where a load of untouched heap maps the zero page). A few seconds a boot.
TRACE_SUITES = --suite trace $(if $(call has-lab,zfod,$*),,$(if $(call has-lab,lazy,$*),--suite trace-lazy)) \
	$(if $(call has-lab,cow,$*),--suite trace-cow) $(if $(call has-lab,zfod,$*),--suite trace-zfod) \
	$(if $(call has-lab,demand,$*),--suite trace-demand) $(if $(call has-lab,mmap,$*),--suite trace-mmap) \
	$(if $(call has-lab,swap,$*),--suite trace-swap)
# Sets with swap boot swaptest with a swap disk of TEST_SWAPMB MiB: room
# for its 200 MiB beside the 128 MiB of memory, and for the copies of
# pages read back (with 128 they are let go, and swaptest writes more).
# Every other suite gets USERTESTS_SWAPMB: usertests, the attack suite and
# the labs' counting tests fill memory again and again (execout fifteen
# times, mem, countfree, oomstorm's storms, demandtest's counts), and with
# swap each time the swap disk as well.
TEST_SWAPMB ?= 256
USERTESTS_SWAPMB ?= 16
SWAP_DISK = $(if $(call has-lab,swap,$*),--swap $(TEST_SWAPMB))
UT_SWAP_DISK = $(if $(call has-lab,swap,$*),--swap $(USERTESTS_SWAPMB))

# What `make test` runs, in three tiers, to stay under 30 minutes here:
# - FULL_SETS get everything: base, each lab alone, and all labs at once;
# - PARTIAL_SETS only the shell check and their labs' suites, which show
#   how those labs' fault arms combine (the rest of their code is that of
#   the sets above);
# - ONE_HART_SETS run again on one hart (boot, lab suites but the slow
#   lazystress and zfodtest, usertests -q; the attack suite too where
#   swap is on, as those sets run nowhere else): a lost wakeup in the idle
#   loop shows only there (other harts hide it).
# The swap lab alone runs on CPUS harts (boot, the attack suite and
# swaptest: global replacement takes pages of processes that ran on other
# harts); its usertests -q runs on one hart, in lazy,cow,zfod,demand,swap,
# to keep make test under its 30 minutes. The mixed mmap sets lazy,mmap, cow,mmap and lazy,cow,mmap run
# in `make test-full` only: all labs at once holds each of their pairs.
FULL_SETS := base lazy cow mmap zfod demand $(ALL_LABS)
PARTIAL_SETS := lazy,cow
ONE_HART_SETS := lazy,cow,zfod,demand,swap
# Sets whose attack suite runs but not usertests -q.
NO_USERTESTS_SETS := swap

# Runs go TEST_JOBS at a time: one QEMU keeps about one core busy (the
# tests mostly run one process at a time), and each run has its own label,
# logs and copy of fs.img. Long runs first and the short partial ones
# last, so the job slots finish close together.
TEST_JOBS ?= 2
TEST_RUNS := $(addprefix test-run/,$(ALL_LABS) $(NO_USERTESTS_SETS)) $(addprefix test-run1/,$(ONE_HART_SETS)) \
	$(addprefix test-run/,$(filter-out $(ALL_LABS),$(FULL_SETS)) $(PARTIAL_SETS))
test: host-test fs.img test-kernels
	@rm -rf target/test-logs
	@$(MAKE) -s -k -j$(TEST_JOBS) $(TEST_RUNS); s=$$?; $(RUN) kstack; exit $$s

test-run/%: FORCE
	@$(RUN) test --kernel target/kernels/$*/kernel --fs fs.img --cpus $(CPUS) --label $* $(UT_SWAP_DISK) \
	  --suite boot $(TRACE_SUITES) $(patsubst %,--suite %,$(filter-out swaptest,$(LAB_NAMES))) \
	  $(if $(filter $*,$(PARTIAL_SETS)),,--suite attack $(if $(filter $*,$(NO_USERTESTS_SETS)),,--suite usertests-q))
	$(if $(call has-lab,swap,$*),@$(RUN) test --kernel target/kernels/$*/kernel --fs fs.img --cpus $(CPUS) \
	  --label $* $(SWAP_DISK) --suite swaptest)
test-run1/%: FORCE
	@$(RUN) test --kernel target/kernels/$*/kernel --fs fs.img --cpus 1 --label $*-cpus1 $(UT_SWAP_DISK) \
	  --suite boot $(TRACE_SUITES) $(patsubst %,--suite %,$(filter-out lazystress zfodtest swaptest,$(LAB_NAMES))) \
	  $(if $(call has-lab,swap,$*),--suite attack) --suite usertests-q
	$(if $(call has-lab,swap,$*),@$(RUN) test --kernel target/kernels/$*/kernel --fs fs.img --cpus 1 \
	  --label $*-cpus1 $(SWAP_DISK) --suite swaptest)

# Every kernel, and the tools, built before any run starts.
test-kernels:
	@for fs in $(FEATURE_SETS); do $(MAKE) -s kernel-$$fs || exit 1; done
	@cargo build -q --release -p tools --target host-tuple

# The long version: full usertests everywhere, the stress programs on base,
# and the crash test on CRASH_SETS.
CRASH_SETS := base lazy,cow
test-full: host-test fs.img test-kernels
	@rm -rf target/test-logs
	@$(MAKE) -s -k -j$(TEST_JOBS) $(addprefix test-full-run/,$(FEATURE_SETS)) test-full-stress \
	  $(addprefix test-full-crash/,$(CRASH_SETS)); \
	  s=$$?; $(RUN) kstack; exit $$s

test-full-run/%: FORCE
	@$(RUN) test --kernel target/kernels/$*/kernel --fs fs.img --cpus $(CPUS) --label $* $(UT_SWAP_DISK) \
	  --suite boot $(TRACE_SUITES) $(patsubst %,--suite %,$(filter-out swaptest,$(LAB_NAMES))) --suite usertests
	$(if $(call has-lab,swap,$*),@$(RUN) test --kernel target/kernels/$*/kernel --fs fs.img --cpus $(CPUS) \
	  --label $* $(SWAP_DISK) --suite swaptest)
test-full-stress: FORCE
	@$(RUN) test --kernel target/kernels/base/kernel --fs fs.img --cpus $(CPUS) --label base-stress \
	  --suite forktest --suite stressfs --suite grind
test-full-crash/%: FORCE
	@$(RUN) crash --kernel target/kernels/$*/kernel --fs fs.img --cpus $(CPUS) --label $* \
	  --rounds $(ROUNDS) $(if $(SEED),--seed $(SEED))

# Checks a file-system image: `make fsck IMG=fs.img` (the default).
IMG ?= fs.img
fsck:
	@cargo fsck $(IMG)

# The crash test: ROUNDS rounds (from round FIRST) of fsstress killed at a
# random moment, log recovery on reboot, fscheck in xv6 and fsck on the
# host; SEED= repeats a run's choices (it is printed). Dirty rounds keep
# their images and logs in target/crash/SET/.
ROUNDS ?= 100
FIRST ?= 0
SEED ?=
CRASH_SET = $(if $(strip $(FEATURES)),$(FEATURES),base)
crashtest: fs.img
	@$(MAKE) -s kernel-$(CRASH_SET)
	@$(RUN) crash --kernel target/kernels/$(CRASH_SET)/kernel --fs fs.img --cpus $(CPUS) \
	  --label $(CRASH_SET) --rounds $(ROUNDS) --first $(FIRST) $(if $(SEED),--seed $(SEED))

# The fuzz program with fresh seeds (the first is printed), FUZZ_MINUTES
# on each feature set; each seed boots afresh, so a failure replays with
# `fuzz SEED 4000`. Logs in target/fuzz-logs/.
FUZZ_MINUTES ?= 10
fuzz: fs.img
	@fail=0; for fs in $(FEATURE_SETS); do \
	  $(MAKE) -s kernel-$$fs || exit 1; \
	  $(RUN) fuzz --kernel target/kernels/$$fs/kernel --fs fs.img --cpus $(CPUS) --label $$fs \
	    --minutes $(FUZZ_MINUTES) || fail=1; \
	done; exit $$fail

# The labs graded as the course's graders do (grade-lab-lazy of fall 2020,
# grade-lab-cow and grade-lab-mmap of fall 2022): LAB=lazy, cow or mmap
# grades one, no LAB all three, each on the kernel built with its feature;
# KERNEL=path (with one LAB) grades that kernel file instead, e.g. one
# built in a lab-start tree. The `time` item reads time.txt here.
# GRADEFLAGS= passes options to `tools grade` (e.g. --timeout-scale=2).
GRADE_LABS := lazy cow mmap
LAB ?=
KERNEL ?=
GRADEFLAGS ?=
grade: fs.img
	@labs="$(or $(strip $(LAB)),$(GRADE_LABS))"; \
	for lab in $$labs; do \
	  case " $(GRADE_LABS) " in *" $$lab "*) ;; *) echo "*** LAB=$$lab: no such lab ($(GRADE_LABS))"; exit 2;; esac; \
	done; \
	if [ -n "$(KERNEL)" ]; then \
	  [ "$$labs" = "$(strip $(LAB))" ] && [ "$${labs#* }" = "$$labs" ] || { echo "*** KERNEL= wants one LAB="; exit 2; }; \
	  exec $(RUN) grade --lab $$labs --kernel $(KERNEL) --fs fs.img --cpus $(CPUS) $(GRADEFLAGS); \
	fi; \
	for lab in $$labs; do $(MAKE) -s kernel-$$lab || exit 1; done; \
	s=0; for lab in $$labs; do \
	  $(RUN) grade --lab $$lab --kernel target/kernels/$$lab/kernel --fs fs.img --cpus $(CPUS) $(GRADEFLAGS) || s=1; \
	done; exit $$s

# What the labs buy, in guest instructions (QEMU -icount) and pages, on
# one hart for every feature set; figures also go to target/bench/.
bench: fs.img
	@for fs in $(FEATURE_SETS); do $(MAKE) -s kernel-$$fs || exit 1; done
	$(RUN) bench --kernel-dir target/kernels --fs fs.img

# The teaching diff between two feature sets (empty = base), e.g.
# `make diff TO=cow` or `make diff FROM=lazy TO=lazy,cow`.
FROM ?=
TO ?=
diff:
	@$(LABDIFF) diff --from='$(FROM)' --to='$(TO)'

# Every configuration (all 48) as a buildable tree, target/labs/{base,
# lazy,cow,lazy-cow,...} (kernel only), and as a branch of the git
# repository target/labs/git.
labs:
	$(LABDIFF) tree --out target/labs
	$(LABDIFF) git --force target/labs/git

# A student's starting tree for one lab (tools/labdiff/src/start.rs): the
# whole workspace as a git repository in DIR, with the kernel below the
# lab (base; lazy for zfod), a Makefile and a README for the lab.
# MARKERS=1 marks each function the solution changes. DIR must be new.
DIR ?= target/lab-start/$(LAB)
MARKERS ?=
lab-start:
	@[ -n "$(LAB)" ] || { echo "*** LAB= is one of lazy, cow, mmap, zfod, demand, swap"; exit 2; }
	@$(LABDIFF) start $(if $(MARKERS),--markers) --out $(DIR) $(LAB)

clean:
	cargo clean
	rm -f fs.img .gdbinit
