/* The native virtio-blk driver (twin/ndc) behind a block session: this
 * test plays the device manager (finds the virtio-mmio slot holding a
 * block device, starts ndc with exactly that page and IRQ), then reads the
 * whole disk (the runner compares the SHA-256 with the host's), writes a
 * pattern the runner checks on the host after power-off, queues 32
 * requests at once, and feeds the driver bad requests, a corrupt ring
 * index and malformed IPC: each gets an error and the driver keeps serving.
 * argv: kt_vblk SIZE SHA256 */
#include "ktest.h"
#include <hm/blkclient.h>
#include <hm/sha256.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VIRTIO_BASE 0x0a000000ull
#define PATTERN_OFF (1024 * 1024 + 4096)
#define PATTERN_LEN 8192

static long start_driver(hm_handle_t root, hm_handle_t ep)
{
    volatile uint8_t *slots = (volatile uint8_t *)hm_vm_map(HM_HANDLE_SELF_PROC,
        (hm_handle_t)hm_mem_device(root, VIRTIO_BASE, 0x4000), 0, 0x4000, 0, HM_MAP_R);
    int slot = -1;
    for (int i = 31; i >= 0 && slot < 0; i--) {
        volatile uint32_t *r = (volatile uint32_t *)(slots + 0x200 * i);
        if (r[0] == 0x74726976 && r[2] == 2)
            slot = i;
    }
    if (slot < 0)
        return -HM_ERANGE;
    uint64_t pa = VIRTIO_BASE + 0x200ull * slot;
    uint32_t irq = 32 + 16 + (uint32_t)slot;
    long mmio = hm_mem_device(root, pa & ~0xfffull, 4096);
    long irqres = hm_resource_create(root, HM_RES_IRQ, irq, 1);
    char off[16], irqs[16];
    snprintf(off, sizeof off, "%lx", (unsigned long)(pa & 0xfff));
    snprintf(irqs, sizeof irqs, "%u", irq);
    const char *argv[] = { "ndc", off, irqs, NULL };
    struct hm_spawn_handle hs[3] = { { "mmio", (hm_handle_t)mmio, HM_R_READ | HM_R_WRITE | HM_R_MAP },
                                     { "irqres", (hm_handle_t)irqres, HM_R_MANAGE },
                                     { "ep", ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT } };
    return hm_spawn("ndc", argv, hs, 3, HM_HANDLE_INVALID, HM_PRIO_DRIVER);
}

int main(int argc, char **argv)
{
    kt_init("vblk");
    uint64_t want_size = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
    const char *want_sha = argc > 2 ? argv[2] : "";
    hm_handle_t root = hm_start_handle("root");
    long ep = hm_ep_create();
    long drv = start_driver(root, (hm_handle_t)ep);
    KT_OK(drv, "driver container started with the block device's page and IRQ");
    long cli_ep = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0);
    hm_handle_close((hm_handle_t)ep);   /* only the driver receives */

    struct hm_blk_client c;
    struct hm_msg m;
    int r = hm_blk_open(&c, (hm_handle_t)cli_ep, 64, 1 << 20, NULL);
    KT_EQ(r, 0, "open a block session");
    KT_EQ(c.size, want_size, "device size equals the image size");
    KT_EQ(c.lbs, 512, "logical block size");

    /* whole disk, 256 KiB at a time */
    struct hm_sha256 h;
    hm_sha256_init(&h);
    int ok = 1;
    for (uint64_t off = 0; off < c.size && ok; off += 256 * 1024) {
        uint32_t n = c.size - off < 256 * 1024 ? (uint32_t)(c.size - off) : 256 * 1024;
        ok = hm_blk_io(&c, HM_BLK_READ, off, 0, n) == 0;
        hm_sha256_update(&h, c.data, n);
    }
    uint8_t dig[32];
    char hex[65];
    hm_sha256_final(&h, dig);
    hm_sha256_hex(dig, hex);
    KT_CHECK(ok, "read the whole disk");
    kt_report(!strcmp(hex, want_sha), "SHA-256 of the disk equals the host's", "got %s want %s", hex, want_sha);

    /* write a pattern, read it back */
    for (int i = 0; i < PATTERN_LEN; i++)
        c.data[i] = (uint8_t)(i * 7 + 3);
    KT_EQ(hm_blk_io(&c, HM_BLK_WRITE, PATTERN_OFF, 0, PATTERN_LEN), 0, "write 8 KiB");
    KT_EQ(hm_blk_io(&c, HM_BLK_FLUSH, 0, 0, 0), 0, "flush");
    memset(c.data, 0, PATTERN_LEN);
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, PATTERN_OFF, 65536, PATTERN_LEN), 0, "read it back");
    int same = 1;
    for (int i = 0; i < PATTERN_LEN; i++)
        same &= c.data[65536 + i] == (uint8_t)(i * 7 + 3);
    KT_CHECK(same, "read-back equals the pattern");

    /* 32 requests in flight at once */
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 65536), 0, "read the first 64 KiB");
    uint8_t *ref = malloc(65536);
    memcpy(ref, c.data, 65536);
    for (int i = 0; i < 32; i++)
        hm_blk_submit(&c, HM_BLK_READ, (uint64_t)((i * 5) % 16) * 4096, 65536 + (uint64_t)i * 4096, 4096, 1000 + i);
    int got = 0, good = 1;
    struct hm_blk_cpl cpl;
    while (got < 32 && hm_blk_wait(&c, &cpl, hm_deadline_ms(5000)) == 0) {
        int i = (int)(cpl.id - 1000);
        good &= cpl.status == 0 && i >= 0 && i < 32 &&
                !memcmp(c.data + 65536 + i * 4096, ref + ((i * 5) % 16) * 4096, 4096);
        got++;
    }
    KT_CHECK(got == 32 && good, "32 requests in flight complete with the right data");

    /* bad requests: error completions, the session goes on */
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, c.size, 0, 512), -ENOSPC, "read past the end");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, c.size - 512, 0, 1024), -ENOSPC, "read across the end");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 100, 0, 512), -EINVAL, "unaligned offset");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 100), -EINVAL, "unaligned length");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, c.data_size, 512), -EINVAL, "outside the data area");
    KT_EQ(hm_blk_io(&c, 77, 0, 0, 512), -EINVAL, "unknown operation");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 512), 0, "session still serves");

    /* a corrupt ring index stops that session only */
    c.sh->sq_tail = c.sh->sq_head + 1000;
    hm_notif_signal(c.doorbell, 2);
    KT_EQ(hm_blk_wait(&c, &cpl, hm_deadline_ms(2000)), -EIO, "corrupt ring index: session stopped with EIO");
    struct hm_blk_client c2;
    KT_EQ(hm_blk_open(&c2, (hm_handle_t)cli_ep, 16, 65536, NULL), 0, "driver still serves: a new session opens");
    KT_EQ(hm_blk_io(&c2, HM_BLK_READ, 0, 0, 4096), 0, "and reads");

    /* sessions are released: far more open/close cycles than the driver has slots */
    int cycles = 0;
    for (int i = 0; i < 100; i++) {
        struct hm_blk_client t;
        if (hm_blk_open(&t, (hm_handle_t)cli_ep, 8, 4096, NULL) || hm_blk_io(&t, HM_BLK_READ, 0, 0, 512))
            break;
        hm_blk_close(&t);
        cycles++;
    }
    KT_EQ(cycles, 100, "100 sessions opened, used and closed");
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_DETACH, 0, 0) };
    KT_CHECK(hm_call((hm_handle_t)cli_ep, &m) == 0 && HM_TAG_LABEL(m.tag) == EPERM, "detach without a session handle refused (EPERM)");

    /* ioctl */
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_IOCTL, 0, 0), .w = { HM_BLK_IOC_GETSIZE } };
    KT_CHECK(hm_call((hm_handle_t)cli_ep, &m) == 0 && HM_TAG_LABEL(m.tag) == 0 && m.w[0] == want_size, "ioctl GETSIZE");
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_IOCTL, 0, 0), .w = { 999 } };
    KT_CHECK(hm_call((hm_handle_t)cli_ep, &m) == 0 && HM_TAG_LABEL(m.tag) == ENOTTY, "unknown ioctl: ENOTTY");

    /* malformed IPC to the driver */
    m = (struct hm_msg){ .tag = HM_TAG(12345, 0, 0) };
    KT_EQ(hm_call((hm_handle_t)cli_ep, &m), 0, "unknown request answered");
    KT_EQ(HM_TAG_LABEL(m.tag), EINVAL, "with EINVAL");
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_ATTACH, 0, 0), .w = { 64, 1 } };
    hm_call((hm_handle_t)cli_ep, &m);
    KT_EQ(HM_TAG_LABEL(m.tag), EINVAL, "attach without handles refused");
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_INFO, 0, 0) };
    KT_CHECK(hm_call((hm_handle_t)cli_ep, &m) == 0 && m.w[0] == want_size, "driver still answers INFO");
    hm_proc_kill((hm_handle_t)drv);
    return kt_finish();
}
