# hm: one entry point. `make` builds everything into build/; see README.md.
#   make            kernel, user programs, boot images
#   make run        boot the default board on QEMU, console on this terminal
#   make test       host unit tests + QEMU system tests; ends "N passed, M failed"
#   make bench      IPC and block I/O benchmarks -> build/bench/
#   make debug      QEMU waiting for gdb-multiarch on :1234
#   make clean      remove build/

BOARD ?= qemu-virt
B := build
comma := ,
include boards/$(BOARD)/board.mk

CROSS ?= aarch64-linux-gnu-
CC_T := $(CROSS)gcc
LD_T := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
HOSTCC ?= gcc
PICOLIBC_SPECS := /usr/lib/picolibc/aarch64-linux-gnu/picolibc.specs

WARN := -Wall -Wextra -Werror
COMMON := -std=gnu11 -O2 -g -march=armv8-a -mno-outline-atomics -fno-pie -fno-omit-frame-pointer
KINC := -Imicrokernel/include -Imicrokernel/arch/aarch64/include -Icommon/include -Imicrokernel/include/libfdt-env -I$(B)/libfdt
KCFLAGS := $(COMMON) $(WARN) -ffreestanding -fno-builtin -nostdlib -mgeneral-regs-only -fno-stack-protector $(KINC)
UCFLAGS := $(COMMON) $(WARN) --specs=$(PICOLIBC_SPECS) -Ilib/include -Icommon/include -Imicrokernel/include -I$(B)/libfdt
# common/: code the kernel and user space both build (ELF and boot-image
# readers). No libc and no system calls: it sees only the compiler's own
# headers (stdint.h, stddef.h) and the ABI headers, so a libc or hm.h include
# fails to compile.
COMMON_SRC := $(wildcard common/*.c)
CMNFLAGS = $(COMMON) $(WARN) -ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC_T) -print-file-name=include) \
            -mgeneral-regs-only -fno-stack-protector -Icommon/include
# -u: pull in lib/src/lock.c (picolibc lock hooks) before picolibc supplies its no-op ones
ULDFLAGS := --specs=$(PICOLIBC_SPECS) -nostartfiles -static -no-pie -T lib/user.ld -Wl,--gc-sections -Wl,-u,__retarget_lock_acquire_recursive

all: $(B)/hm.bin $(B)/boot-default.img

# ---- dependencies (Debian packages) ----
$(B)/.bootstrap: scripts/bootstrap
	@mkdir -p $(B)
	@scripts/bootstrap
	@touch $@

# ---- libfdt from Debian's Linux source ----
$(B)/libfdt/.stamp: | $(B)/.bootstrap
	@scripts/prepare-libfdt $(B)/libfdt

# ---- kernel ----
KSRC := $(wildcard microkernel/generic/*.c microkernel/arch/aarch64/*.c microkernel/plat/$(BOARD)/*.c) $(COMMON_SRC)
KASM := $(wildcard microkernel/arch/aarch64/*.S)
KOBJ := $(patsubst %.c,$(B)/k/%.o,$(KSRC)) $(patsubst %.S,$(B)/k/%.o,$(KASM))
FDTOBJ := $(patsubst %,$(B)/k/libfdt/%.o,fdt fdt_ro fdt_rw fdt_wip fdt_sw fdt_addresses fdt_strerror fdt_empty_tree)

$(B)/k/%.o: %.c $(B)/libfdt/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC_T) $(KCFLAGS) -MMD -MP -c $< -o $@
# (two rules: one pattern rule with two targets would be taken to make both at once)
$(B)/k/common/%.o: common/%.c | $(B)/.bootstrap
	@mkdir -p $(dir $@)
	@echo "  CC      $< (common, kernel)"
	@$(CC_T) $(CMNFLAGS) -MMD -MP -c $< -o $@
$(B)/u/common/%.o: common/%.c | $(B)/.bootstrap
	@mkdir -p $(dir $@)
	@echo "  CC      $< (common, user)"
	@$(CC_T) $(CMNFLAGS) -MMD -MP -c $< -o $@
$(B)/k/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC_T) $(KCFLAGS) -D__ASSEMBLER__ -MMD -MP -c $< -o $@
$(B)/k/libfdt/%.o: $(B)/libfdt/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      libfdt/$*.c"
	@$(CC_T) $(COMMON) -ffreestanding -fno-builtin -mgeneral-regs-only -fno-stack-protector $(KINC) -c $(B)/libfdt/$*.c -o $@

# The IPC fast paths keep the message in x1..x7 from the exception vector
# to the partner (fastpath.c, entry.S): the compiler must not use those
# registers there, and the file must call nothing (a called function would
# use them): tail calls are turned off and the object is checked for bl, blr,
# br and any mention of x1..x7.
FASTPATH_O := $(B)/k/microkernel/generic/fastpath.o
$(FASTPATH_O): KCFLAGS += $(foreach r,1 2 3 4 5 6 7,-ffixed-x$(r)) -fno-optimize-sibling-calls
$(FASTPATH_O).checked: $(FASTPATH_O)
	@if $(CROSS)objdump -d $< | grep -E '\s(bl|blr|br)\s|\b[xw][1-7]\b'; then \
	    echo "$<: the fast paths must not call functions or touch x1..x7 (they carry the message)"; rm -f $<; exit 1; fi
	@touch $@

$(B)/hm.elf: $(KOBJ) $(FDTOBJ) microkernel/arch/aarch64/kernel.ld $(FASTPATH_O).checked
	@echo "  LD      $@"
	@$(LD_T) -nostdlib --no-warn-rwx-segments -T microkernel/arch/aarch64/kernel.ld -o $@ $(KOBJ) $(FDTOBJ) $$($(CC_T) -print-libgcc-file-name)
$(B)/hm.bin: $(B)/hm.elf
	@$(OBJCOPY) -O binary $< $@

# ---- user runtime ----
LSRC := $(filter-out lib/src/crt0.S,$(wildcard lib/src/*.c)) $(COMMON_SRC)
LOBJ := $(patsubst %.c,$(B)/u/%.o,$(LSRC))
$(B)/u/%.o: %.c | $(B)/.bootstrap $(B)/libfdt/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC_T) $(UCFLAGS) -MMD -MP -c $< -o $@
$(B)/u/%.o: %.S | $(B)/.bootstrap
	@mkdir -p $(dir $@)
	$(CC_T) $(UCFLAGS) -c $< -o $@
# libfdt (from Debian's Linux source) for user programs too: the device manager reads the board
UFDTOBJ := $(patsubst %,$(B)/u/libfdt/%.o,fdt fdt_ro fdt_rw fdt_wip fdt_sw fdt_addresses fdt_strerror fdt_empty_tree)
$(B)/u/libfdt/%.o: $(B)/libfdt/.stamp
	@mkdir -p $(dir $@)
	@echo "  CC      libfdt/$*.c (user)"
	@$(CC_T) $(COMMON) --specs=$(PICOLIBC_SPECS) -I$(B)/libfdt -c $(B)/libfdt/$*.c -o $@
$(B)/libhm.a: $(LOBJ) $(UFDTOBJ)
	@$(CROSS)ar rcs $@ $^

# a program: user/NAME/*.c, tests/system/NAME.c or tests/bench/NAME.c
define PROGRAM
$(B)/bin/$(1): $(patsubst %.c,$(B)/u/%.o,$(2)) $(B)/u/lib/src/crt0.o $(B)/libhm.a lib/user.ld Makefile
	@mkdir -p $(B)/bin
	@echo "  LD      $$@"
	@$(CC_T) $(ULDFLAGS) -o $$@ $(B)/u/lib/src/crt0.o $(patsubst %.c,$(B)/u/%.o,$(2)) $(B)/libhm.a
endef
USER_PROGS := $(notdir $(wildcard user/*)) ndc vtwin utwin devmgr vfs ldc
$(foreach p,$(filter-out ndc vtwin utwin devmgr vfs ldc,$(USER_PROGS)),$(eval $(call PROGRAM,$(p),$(wildcard user/$(p)/*.c))))
# twin/: the native virtio-blk driver (ndc), the twins of Linux's virtio_blk (vtwin) and UFS driver (utwin) share the session serving
$(eval $(call PROGRAM,ndc,twin/ndc.c twin/vblk_ctrl.c twin/vblk_data.c twin/serve.c))
$(eval $(call PROGRAM,vtwin,twin/vtwin.c twin/vblk_adopt.c twin/vblk_data.c twin/serve.c twin/link.c twin/ctl.c))
$(eval $(call PROGRAM,utwin,twin/utwin.c twin/ufs_data.c twin/serve.c twin/link.c twin/ctl.c))
$(eval $(call PROGRAM,devmgr,$(wildcard devmgr/*.c)))
$(eval $(call PROGRAM,vfs,$(wildcard vfs/*.c)))

# ---- the Linux driver container: DC-base + the Linux runtime (linux.o) ----
# Each supported Linux version V is Debian's linux-source-V: scripts/build-linux
# extracts it into build/linux-V/src once, puts linux-arch-hm/ in as arch/hm,
# applies patches/V/, configures and builds, and cuts linux.o; ldc-V is
# DC-base (the same objects for every version) linked with it. LINUX selects
# the version `make`, `make run` and `make bench` use; `make test` tests every
# version, or only LINUX if it is given on the command line.
LINUX_VERSIONS := 6.1 6.12
LINUX ?= 6.1
ifeq ($(filter $(LINUX),$(LINUX_VERSIONS)),)
$(error LINUX=$(LINUX): the supported Linux versions are $(LINUX_VERSIONS))
endif
ifeq ($(origin LINUX),command line)
TEST_LINUX := $(LINUX)
else
TEST_LINUX := $(LINUX_VERSIONS)
endif
$(B)/u/dcbase/%.o: UCFLAGS += -Idcbase/include
DCBASE_OBJ := $(patsubst %.c,$(B)/u/%.o,$(wildcard dcbase/*.c))
define LINUX_RUNTIME
$(B)/linux-$(1)/linux.o: $(shell find linux-arch-hm patches/$(1) -type f 2>/dev/null) dcbase/include/dc_host.h \
                         boards/$(BOARD)/linux.config scripts/build-linux | $(B)/.bootstrap
	@scripts/build-linux $(1) $(B)/linux-$(1)
$(B)/bin/ldc-$(1): $(DCBASE_OBJ) $(B)/linux-$(1)/linux.o $(B)/u/lib/src/crt0.o $(B)/libhm.a lib/user.ld Makefile
	@mkdir -p $(B)/bin
	@echo "  LD      $$@ (DC-base + Linux $(1))"
	@$(CC_T) $(ULDFLAGS) -o $$@ $(B)/u/lib/src/crt0.o $(DCBASE_OBJ) $(B)/linux-$(1)/linux.o $(B)/libhm.a
endef
$(foreach v,$(LINUX_VERSIONS),$(eval $(call LINUX_RUNTIME,$(v))))

TEST_PROGS := $(basename $(notdir $(wildcard tests/system/kt_*.c)))
# kt_helper (a client) and kt_msidrv (a container) run the quota exhaustion cases
QUOTA_CASES := kt_helper kt_msidrv
$(foreach p,$(filter-out kt_crashdrv,$(TEST_PROGS)),$(eval $(call PROGRAM,$(p),tests/system/$(p).c tests/system/ktest.c $(if $(filter $(p),$(QUOTA_CASES)),tests/system/quota_cases.c))))
$(eval $(call PROGRAM,kt_crashdrv,tests/system/kt_crashdrv.c))
BENCH_PROGS := $(basename $(notdir $(wildcard tests/bench/*.c)))
$(foreach p,$(BENCH_PROGS),$(eval $(call PROGRAM,$(p),tests/bench/$(p).c)))

# ---- boot images ----
# build/linux-V/boot-{default,test}.img carry ldc-V; build/boot-*.img are
# LINUX's (what `make run` and `make bench` boot)
BOARD_CONFS := boot.conf devices.conf boot-ndc.conf devices-ndc.conf boot-one.conf devices-one.conf \
               boot-twin.conf devices-twin.conf boot-intx.conf boot-cold.conf
NATIVE_PROGS := $(filter-out ldc,$(USER_PROGS))
define BOOT_IMAGES
$(B)/linux-$(1)/boot-default.img: $(addprefix $(B)/bin/,$(NATIVE_PROGS) ldc-$(1)) $(addprefix boards/$(BOARD)/,$(BOARD_CONFS)) scripts/mkbootimg
	scripts/mkbootimg $$@ $(foreach c,$(BOARD_CONFS),$(c)=boards/$(BOARD)/$(c)) \
	  $(foreach p,$(NATIVE_PROGS),$(p)=$(B)/bin/$(p)) ldc=$(B)/bin/ldc-$(1)
$(B)/linux-$(1)/boot-test.img: $(addprefix $(B)/bin/,$(NATIVE_PROGS) ldc-$(1) $(TEST_PROGS) $(BENCH_PROGS)) $(addprefix boards/$(BOARD)/,$(BOARD_CONFS)) tests/system/devices-crash.conf tests/system/devices-exit.conf tests/system/devices-msi.conf tests/system/devices-small.conf scripts/mkbootimg
	scripts/mkbootimg $$@ $(foreach c,$(BOARD_CONFS),$(c)=boards/$(BOARD)/$(c)) \
	  devices-crash.conf=tests/system/devices-crash.conf devices-exit.conf=tests/system/devices-exit.conf \
	  devices-msi.conf=tests/system/devices-msi.conf devices-small.conf=tests/system/devices-small.conf \
	  kt_exitdrv=$(B)/bin/kt_crashdrv \
	  $(foreach p,$(NATIVE_PROGS) $(TEST_PROGS) $(BENCH_PROGS),$(p)=$(B)/bin/$(p)) ldc=$(B)/bin/ldc-$(1)
endef
$(foreach v,$(LINUX_VERSIONS),$(eval $(call BOOT_IMAGES,$(v))))
# always compared: LINUX may differ from the last make's
$(B)/boot-default.img: $(B)/linux-$(LINUX)/boot-default.img FORCE
	@cmp -s $< $@ || { cp $< $@ && echo "  IMG     $@ (Linux $(LINUX))"; }
$(B)/boot-test.img: $(B)/linux-$(LINUX)/boot-test.img FORCE
	@cmp -s $< $@ || { cp $< $@ && echo "  IMG     $@ (Linux $(LINUX))"; }
FORCE:

# ---- host unit tests ----
HOST_TESTS := $(basename $(notdir $(wildcard tests/host/test_*.c)))
HOSTCFLAGS := -std=gnu11 -O1 -g $(WARN) -fsanitize=address,undefined -Imicrokernel/include -Ilib/include -Icommon/include
HOST_SRCS := microkernel/generic/pmm.c microkernel/generic/htab.c $(COMMON_SRC) lib/src/sha256.c lib/src/blk.c
$(B)/host/%: tests/host/%.c tests/host/tap.h $(HOST_SRCS) | $(B)/.bootstrap
	@mkdir -p $(B)/host
	@echo "  HOSTCC  $@"
	@$(HOSTCC) $(HOSTCFLAGS) -o $@ $< $(HOST_SRCS)

# ---- running ----
# DISK=path: the virtio-blk disk (default: a 64 MiB image made on first use)
# SD=path: the SD card behind sdhci-pci (default: a 32 MiB image with one MBR
# partition; QEMU's SD card needs a power-of-two size), driven by Linux's
# sdhci-pci and mmc_block in the second driver container (devices.conf)
# UFS=img[,img2...]: QEMU's UFS host controller (PCI, in the same container
# as the SD card) with one logical unit per image, sda, sdb... (default: a
# 64 MiB image with a GPT for 4 KiB sectors, made on first use); UFS=none:
# no controller
# NVME=img[,img2...]: QEMU's NVMe controller (PCI, in the same container as
# the SD card) with one namespace per image, nvme0n1, nvme0n2... (default:
# none); Linux's nvme driver runs its queues on MSI-X vectors
# VIRTIO=pci: the disk is a virtio-blk-pci function (modern virtio over PCI,
# MSI-X) on the PCIe host instead of a virtio-mmio slot: Linux's virtio_pci
# and virtio_blk drive it in the PCI host's container (ldc1)
# TWIN=1: the virtio-blk data plane runs in its twin driver (boot-twin.conf)
# MSI=off: no MSI or MSI-X for PCI functions, their INTx lines serve
# (boot-intx.conf; not with TWIN=1)
# IOMMU=none: no SMMUv3 in front of the PCIe host (boards/qemu-virt/board.mk;
# default smmuv3: devmgr confines each PCI function's DMA to its container)
DISK ?= $(B)/disk.img
SD ?= $(B)/sd.img
UFS ?= $(B)/ufs.img
TWIN ?= 0
MSI ?= on
TWIN_APPEND := $(if $(filter 1,$(TWIN)),-append hm.boot=boot-twin.conf,$(if $(filter off,$(MSI)),-append hm.boot=boot-intx.conf))
UFS_IMGS := $(filter-out none,$(subst $(comma), ,$(UFS)))
UFS_ARGS = $(if $(UFS_IMGS),-device ufs$(comma)serial=hm-ufs$(comma)id=ufs0 \
           $(shell i=0; for f in $(UFS_IMGS); do \
             echo "-drive if=none,id=ufslu$$i,file=$$f,format=raw,cache=writeback -device ufs-lu,drive=ufslu$$i,lun=$$i,bus=ufs0"; \
             i=$$((i + 1)); done))
NVME ?=
NVME_IMGS := $(subst $(comma), ,$(NVME))
NVME_ARGS = $(if $(NVME_IMGS),-device nvme$(comma)serial=hm-nvme$(comma)id=nvme0 \
           $(shell i=1; for f in $(NVME_IMGS); do \
             echo "-drive if=none,id=nvns$$i,file=$$f,format=raw,cache=writeback -device nvme-ns,drive=nvns$$i,nsid=$$i,bus=nvme0"; \
             i=$$((i + 1)); done))
VIRTIO ?= mmio
DISK_DEVICE := $(if $(filter pci,$(VIRTIO)),virtio-blk-pci$(comma)disable-legacy=on$(comma)iommu_platform=on,virtio-blk-device)
QEMU_RUN = $(QEMU) $(QEMU_MACHINE) -kernel $(B)/hm.bin -initrd $(B)/boot-default.img $(TWIN_APPEND) \
           -drive if=none,id=vda,file=$(DISK),format=raw,cache=writeback -device $(DISK_DEVICE),drive=vda \
           -device sdhci-pci -drive if=none,id=sdcard,file=$(SD),format=raw -device sd-card,drive=sdcard $(UFS_ARGS) \
           $(NVME_ARGS) $(QEMU_CHR_DEVICES)

$(B)/sd.img: scripts/mkcard
	@mkdir -p $(B)
	@echo "run: making a default 32 MiB SD card image $@ (SD=path uses another)"
	@scripts/mkcard $@ 32

# QEMU refuses other sizes with a terse message: say what to do instead
sd-check: $(filter $(B)/sd.img,$(SD))
	@if [ ! -f "$(SD)" ]; then echo "run: SD=$(SD) does not exist (leave SD= out for a default card, or make one: scripts/mkcard $(SD) 32)" >&2; exit 1; fi
	@s=$$(stat -c %s $(SD)); if [ $$s -lt 1 ] || [ $$(( s & (s - 1) )) -ne 0 ]; then \
	  echo "run: $(SD) is $$s bytes; an SD card image must be a power of two in size" >&2; \
	  echo "     (e.g. truncate -s 64M $(SD), or scripts/mkcard NEW.img 64)" >&2; exit 1; fi

$(B)/ufs.img: scripts/mkufs scripts/gpt.py
	@mkdir -p $(B)
	@echo "run: making a default 64 MiB UFS logical unit image $@ (UFS=path[,path2...] uses others)"
	@scripts/mkufs $@ 64

# QEMU's UFS logical units have 4096-byte blocks and take any size, but a
# tail past the last whole block would be invisible and an empty image a
# disk of 0 blocks: refuse both here, with what to do
ufs-check: $(filter $(B)/ufs.img,$(UFS_IMGS))
	@n=0; for f in $(UFS_IMGS); do n=$$((n + 1)); \
	  if [ ! -f "$$f" ]; then echo "run: UFS image $$f does not exist (leave UFS= out for a default one, or make one: scripts/mkufs $$f 64)" >&2; exit 1; fi; \
	  s=$$(stat -c %s "$$f"); if [ $$s -lt 4096 ] || [ $$((s % 4096)) -ne 0 ]; then \
	    echo "run: UFS image $$f is $$s bytes; a UFS logical unit has 4096-byte blocks: its size must be a non-zero multiple of 4096" >&2; \
	    echo "     (e.g. truncate -s 64M $$f, or scripts/mkufs NEW.img 64)" >&2; exit 1; fi; done; \
	  if [ $$n -gt 8 ]; then echo "run: UFS= names $$n images; hm attaches at most 8 logical units" >&2; exit 1; fi

$(B)/disk.img:
	@mkdir -p $(B)
	@echo "run: making a default 64 MiB disk image $@ (DISK=path uses another)"
	@truncate -s 64M $@

run: all $(DISK) sd-check ufs-check
	@echo "run: booting hm on $$($(QEMU) --version | head -n 1 | sed 's/ (.*//') virt (GICv$(GIC)$(if $(filter smmuv3,$(IOMMU)),; PCI DMA confined by the SMMUv3,; no SMMU: PCI DMA unconfined)$(if $(filter 1,$(TWIN)),; virtio-blk and UFS data planes in their twin drivers)$(if $(filter off,$(MSI)),; MSI off: PCI functions on INTx)$(if $(NVME_IMGS),; NVMe: $(NVME))$(if $(filter pci,$(VIRTIO)),; the disk as virtio-blk-pci)); quit with Ctrl-A x"
	$(QEMU_RUN) -nographic

debug: all $(DISK) sd-check ufs-check
	@echo "debug: QEMU waits for gdb: gdb-multiarch $(B)/hm.elf -ex 'target remote :1234'"
	$(QEMU_RUN) -nographic -s -S

test: $(B)/hm.bin $(foreach v,$(TEST_LINUX),$(B)/linux-$(v)/boot-default.img $(B)/linux-$(v)/boot-test.img) \
      $(addprefix $(B)/host/,$(HOST_TESTS))
	@python3 tests/run.py --build $(B) --qemu "$(QEMU) $(QEMU_MACHINE)" --linux "$(TEST_LINUX)" $(if $(filter 1,$(TWIN)),--twin) $(TESTFLAGS)

# the fault-injection acceptance run at 1000+ faults (make test runs 300)
# and the fuzzer at 10 million calls (make test runs 120,000):
# faultstress on the default board (TWIN=1: the twin board), LINUX's runtime
STRESS_EACH ?= 170
STRESS_FUZZ ?= 10000000
stress: $(B)/hm.bin $(B)/linux-$(LINUX)/boot-default.img $(B)/linux-$(LINUX)/boot-test.img
	@echo "stress: $$(( $(STRESS_EACH) * 6 )) faults into ldc0 and ldc1 under verified I/O, then $(STRESS_FUZZ) fuzz calls; about $$(( $(STRESS_EACH) / 8 + 1 + $(STRESS_FUZZ) / 1100000 )) minutes"
	@python3 tests/run.py --build $(B) --qemu "$(QEMU) $(QEMU_MACHINE)" --linux "$(LINUX)" \
	  --only $(if $(filter 1,$(TWIN)),faultstress-twin,faultstress),fuzz-services --stress $(STRESS_EACH) \
	  --fuzz-calls $(STRESS_FUZZ) $(TESTFLAGS)

# the benchmark's native Linux: a regular arm64 kernel from the same Debian
# tree (prepared for the container first) with nativebench as /init
NATIVE_LINUX := $(B)/native-linux-6.1
$(NATIVE_LINUX)/Image: $(B)/linux-6.1/linux.o scripts/build-native-linux $(wildcard tests/bench/native-linux/*) \
                       lib/include/hm/blkbench.h
	@scripts/build-native-linux 6.1 $(NATIVE_LINUX)

bench: all $(B)/boot-test.img $(B)/linux-6.12/boot-test.img $(NATIVE_LINUX)/Image
	@python3 tests/bench/run_bench.py --build $(B) --qemu "$(QEMU) $(QEMU_MACHINE)" $(BENCHFLAGS)

# the table of version-dependent code in docs/upgrading-linux.md (make test checks it)
linux-table:
	@scripts/linux-versions --write docs/upgrading-linux.md

clean:
	rm -rf $(B)

.PHONY: all run debug test stress bench clean sd-check ufs-check linux-table FORCE
-include $(shell find $(B)/k $(B)/u -name '*.d' -type f 2>/dev/null)
