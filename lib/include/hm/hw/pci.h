/*
 * PCI configuration space (PCI Local Bus 3.0, type 0 header) as devmgr
 * reads it through ECAM: one 4 KiB page per function. devmgr lists the
 * functions and, when a container stops, turns off what lets them DMA.
 */
#ifndef HM_HW_PCI_H
#define HM_HW_PCI_H

#define PCI_ECAM_FN_SIZE   4096   /* a function's configuration space in ECAM */
#define PCI_ECAM_BUS_SIZE  (256 * PCI_ECAM_FN_SIZE)

#define PCI_VENDOR_ID      0x00   /* 16 bits; 0xffff: no function */
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04   /* 16 bits */
#define PCI_CLASS_REVISION 0x08   /* class code << 8 | revision */
#define PCI_HEADER_TYPE    0x0e   /* bit 7: a multi-function device */
#define PCI_BAR0           0x10
#define PCI_INTERRUPT_PIN  0x3d   /* 1 = INTA .. 4 = INTD, 0: none */
#define PCI_STATUS         0x06   /* 16 bits */
#define PCI_CAP_PTR        0x34   /* first capability (PCI_STATUS_CAP_LIST) */
#define PCI_STATUS_CAP_LIST 0x10

/* capabilities: [0] ID, [1] next, then the capability's own registers */
#define PCI_CAP_ID_MSI     0x05   /* +2: message control, bits 3..1: log2 vectors it can ask for */
#define PCI_CAP_ID_MSIX    0x11   /* +2: message control, bits 10..0: table size - 1 */

#define PCI_COMMAND_MEMORY 0x2    /* memory space decoding */
#define PCI_COMMAND_MASTER 0x4    /* bus mastering (DMA) */

#define PCI_HEADER_MULTI_FN 0x80
#define PCI_BAR_IO          0x1   /* an I/O space BAR */
#define PCI_BAR_TYPE_64     0x4   /* bits 2..1 = 2: a 64-bit memory BAR */
#define PCI_BAR_TYPE_MASK   0x6
#define PCI_BAR_ADDR_MASK   (~0xfull)

#define PCI_CLASS_SD_HOST   0x0805   /* base class 08, subclass 05: SD host controller */
#define PCI_CLASS_NVME      0x0108   /* base class 01, subclass 08: non-volatile memory (NVMe) */
#define PCI_CLASS_UFS_HOST  0x0109   /* base class 01, subclass 09: UFS host controller (UFSHCI) */
#define PCI_ID_VIRTIO_BLK   (0x1042u << 16 | 0x1af4u)   /* virtio-blk over PCI, modern (virtio 1.0) */
#define PCI_ID_VIRTIO_BLK_T (0x1001u << 16 | 0x1af4u)   /* the same, transitional (legacy too) */
#define PCI_ID_I6300ESB     (0x25abu << 16 | 0x8086u)   /* Intel 6300ESB watchdog (device << 16 | vendor) */
#endif
