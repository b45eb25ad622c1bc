# QEMU virt board: the machine hm runs on (QEMU 10 from bookworm-backports, TCG, no KVM).
# GIC=2 (QEMU's default, GICv2 + v2m) or GIC=3; the kernel reads which one
# from the device tree and supports both.
GIC ?= 2
QEMU := qemu-system-aarch64
QEMU_MACHINE := -M virt,gic-version=$(GIC) -cpu cortex-a72 -m 512M -smp 1 -nic none
