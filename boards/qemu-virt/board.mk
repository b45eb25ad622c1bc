# QEMU virt board: the machine hm runs on (QEMU 10 from bookworm-backports, TCG, no KVM).
# GIC=2 (QEMU's default, GICv2 + v2m) or GIC=3; the kernel reads which one
# from the device tree and supports both.
GIC ?= 2
# IOMMU=smmuv3 (default): an SMMUv3 in front of the PCIe host; devmgr
# confines each PCI function's DMA to its container's memory
# (docs/reliability.md "DMA"). IOMMU=none: no SMMU, PCI DMA unconfined.
IOMMU ?= smmuv3
QEMU := qemu-system-aarch64
QEMU_MACHINE := -M virt,gic-version=$(GIC)$(if $(filter smmuv3,$(IOMMU)),$(comma)iommu=smmuv3) -cpu cortex-a72 -m 512M -smp 1 -nic none
# The character devices make run attaches (the PL031 RTC is always there):
# an entropy source and a keyboard on virtio-mmio (type into it from QEMU's
# monitor: sendkey), and the Intel 6300ESB watchdog on PCI, whose expiry
# resets the board (QEMU's default watchdog action)
QEMU_CHR_DEVICES := -global virtio-mmio.force-legacy=false -device virtio-rng-device -device virtio-keyboard-device -device i6300esb
