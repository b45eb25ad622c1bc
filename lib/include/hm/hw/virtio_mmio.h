/*
 * virtio over MMIO (virtio 1.x spec, section 4.2: legacy version 1 and
 * modern version 2): the register layout and status bits. The native
 * driver and the twin (twin/vblk_*.c) drive devices with it; devmgr reads
 * a slot's magic and device ID at scan time and writes Status 0 to reset a
 * device whose container stops.
 */
#ifndef HM_HW_VIRTIO_MMIO_H
#define HM_HW_VIRTIO_MMIO_H

#define VIRTIO_MMIO_MAGIC_VALUE      0x000   /* "virt" */
#define VIRTIO_MMIO_VERSION          0x004
#define VIRTIO_MMIO_DEVICE_ID        0x008   /* 0: an empty slot */
#define VIRTIO_MMIO_DEV_FEATURES     0x010
#define VIRTIO_MMIO_DEV_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRV_FEATURES     0x020
#define VIRTIO_MMIO_DRV_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE  0x028   /* legacy */
#define VIRTIO_MMIO_QUEUE_SEL        0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX    0x034
#define VIRTIO_MMIO_QUEUE_NUM        0x038
#define VIRTIO_MMIO_QUEUE_ALIGN      0x03c   /* legacy */
#define VIRTIO_MMIO_QUEUE_PFN        0x040   /* legacy */
#define VIRTIO_MMIO_QUEUE_READY      0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY     0x050
#define VIRTIO_MMIO_INT_STATUS       0x060
#define VIRTIO_MMIO_INT_ACK          0x064
#define VIRTIO_MMIO_STATUS           0x070   /* writing 0 resets the device */
#define VIRTIO_MMIO_QUEUE_DESC       0x080
#define VIRTIO_MMIO_QUEUE_AVAIL      0x090
#define VIRTIO_MMIO_QUEUE_USED       0x0a0
#define VIRTIO_MMIO_CONFIG           0x100
#define VIRTIO_MMIO_REGS_END         0x00c   /* magic, version and ID lie below this */

#define VIRTIO_MMIO_MAGIC 0x74726976   /* "virt", little endian */

/* device IDs */
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG   4    /* entropy source (virtio-rng) */
#define VIRTIO_ID_INPUT 18   /* input device (virtio-input: keyboard, mouse, tablet) */

/* Status bits */
#define VIRTIO_ST_ACK         1
#define VIRTIO_ST_DRIVER      2
#define VIRTIO_ST_DRIVER_OK   4
#define VIRTIO_ST_FEATURES_OK 8
#define VIRTIO_ST_NEEDS_RESET 64
#define VIRTIO_ST_FAILED      128

/* InterruptStatus bits */
#define VIRTIO_INT_USED   1
#define VIRTIO_INT_CONFIG 2
#endif
