/* The Linux driver container (DC-solo) as a client sees it: vfs and devmgr
 * are started as on the default board, which gives the virtio-blk disk to
 * the LDC; the test opens a partition through vfs and sends good and bad
 * requests. Bad ones (past the partition's end, unaligned, outside the
 * data area, unknown operation) get errors before they reach Linux, and the
 * container keeps serving. The disk is run.py's GPT image: partition 2 is
 * LBA 6144..10239, and its first sector is checked against the host's bytes
 * (first 8 bytes of the sector passed as argv[1], hex).
 * The UFS logical unit (ldc1, Linux's ufshcd + sd; 4 KiB logical blocks,
 * first 8 bytes in argv[2]): requests that are not whole 4 KiB blocks are
 * refused, and a client killed with 16 requests in flight leaves the
 * container serving. */
#include "ktest.h"
#include <hm/blkclient.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct hm_ipc_buf buf;

static long open_node(hm_handle_t vfs, const char *path, hm_handle_t *drv, uint64_t *size)
{
    memset(buf.words, 0, HM_VFS_PATH_MAX);
    strncpy((char *)buf.words, path, HM_VFS_PATH_MAX - 1);
    struct hm_msg m = { .tag = HM_TAG(HM_VFS_OPEN, HM_VFS_PATH_WORDS, 0) };
    long r = hm_call(vfs, &m);
    if (r < 0)
        return r;
    if (HM_TAG_LABEL(m.tag))
        return -(long)HM_TAG_LABEL(m.tag);
    if (HM_TAG_NHANDLES(m.tag) != 1)
        return -EIO;
    *drv = buf.handles[0];
    *size = m.w[1];
    return 0;
}

/* 16 reads of 4 KiB in flight at once, each into its own buffer: 1 if all complete */
static int reads_in_flight(struct hm_blk_client *c)
{
    int ok = 1;
    for (int i = 0; i < 16; i++)
        ok &= hm_blk_submit(c, HM_BLK_READ, (uint64_t)i * 4096, (uint64_t)i * 4096, 4096, (uint64_t)i) == 0;
    for (int i = 0; i < 16 && ok; i++) {
        struct hm_blk_cpl cpl;
        ok &= hm_blk_wait(c, &cpl, hm_deadline_ms(5000)) == 0 && cpl.status == 0 && cpl.len == 4096;
    }
    return ok;
}

/* The UFS disk /dev/sda (4 MiB, 4096-byte blocks); want: its first 8 bytes */
static void ufs_part(hm_handle_t vfs, uint64_t want)
{
    hm_handle_t drv = HM_HANDLE_INVALID;
    uint64_t size = 0;
    long st = -ENOENT;
    for (int t = 0; t < 1500 && st; t++)   /* ldc1 may still be probing (up to 30 s) */
        if ((st = open_node(vfs, "/dev/sda", &drv, &size)))
            hm_sleep_until(hm_deadline_ms(20));
    KT_EQ(st, 0, "open /dev/sda (UFS, ldc1) through vfs");
    if (st)
        return;
    struct hm_blk_client c;
    int err = hm_blk_open(&c, drv, 16, 64 * 1024, &buf);
    KT_EQ(err, 0, "block session on sda");
    if (err)
        return;
    KT_EQ(c.size, 4u << 20, "INFO: sda is the 4 MiB logical unit");
    KT_EQ(c.lbs, 4096, "INFO: 4096-byte logical blocks");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 4096), 0, "read sda's first block");
    uint64_t got;
    memcpy(&got, c.data, 8);
    kt_report(got == want, "the bytes are the host's", "got %lx want %lx", (unsigned long)got, (unsigned long)want);
    /* not whole 4 KiB blocks: refused before Linux sees them */
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 512, 0, 4096), -EINVAL, "sda: offset not a multiple of 4096");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 512), -EINVAL, "sda: 512-byte length");
    KT_EQ(hm_blk_io(&c, HM_BLK_WRITE, 4096, 512, 4096), -EINVAL, "sda: data area offset not a multiple of 4096");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, c.size, 0, 4096), -ENOSPC, "sda: read past the end");

    /* a client killed with requests in flight */
    long n = hm_notif_create();
    hm_handle_t ep = HM_HANDLE_INVALID;   /* the helper's own endpoint of sda, as vfs gives it */
    uint64_t esize;
    long oe = open_node(vfs, "/dev/sda", &ep, &esize);
    const char *hargv[] = { "kt_helper", "blkflood", NULL };
    struct hm_spawn_handle hs[2] = { { "notif", (hm_handle_t)n, HM_R_SIGNAL }, { "blk", ep, HM_R_SEND } };
    long h = n < 0 || oe ? -1 : hm_spawn("kt_helper", hargv, hs, 2, HM_HANDLE_INVALID, HM_PRIO_MAX - 3);
    uint64_t bits = 0;
    long w = h < 0 ? h : hm_notif_wait((hm_handle_t)n, hm_deadline_ms(10000), &bits);
    kt_report(w >= 0 && bits == 1, "a client queues 16 reads of 64 KiB on sda", "spawn %ld, wait %ld, bits %lu", h, w,
              (unsigned long)bits);
    if (h >= 0) {
        KT_EQ(hm_proc_kill((hm_handle_t)h), 0, "and is killed with them in flight");
        int64_t status;
        hm_proc_wait((hm_handle_t)h, hm_deadline_ms(5000), &status);
        hm_handle_close((hm_handle_t)h);
    }
    memset(c.data, 0, 4096);
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 4096), 0, "sda still serves another client");
    memcpy(&got, c.data, 8);
    KT_CHECK(got == want, "with the same bytes");
    KT_CHECK(reads_in_flight(&c), "sda: 16 reads in flight complete after the killed client");
    hm_blk_close(&c);
}

/* one 8 MiB request over the whole disk from data offset data_off, waited
 * for: 0, or the submit's, the wait's or the request's error */
static long whole_io(struct hm_blk_client *c, uint32_t op, uint64_t data_off, uint64_t id)
{
    struct hm_blk_cpl cpl;
    long e = hm_blk_submit(c, op, 0, data_off, 8u << 20, id);
    if (!e)
        e = hm_blk_wait(c, &cpl, hm_deadline_ms(20000));
    return e ? e : cpl.id != id ? -1000 : cpl.status;
}

static long first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return (long)i;
    return -1;
}

int main(int argc, char **argv)
{
    kt_init("ldc");
    hm_ipc_buf_set(&buf);
    uint64_t want = argc > 1 ? strtoull(argv[1], NULL, 16) : 0;
    uint64_t ufs_want = argc > 2 ? strtoull(argv[2], NULL, 16) : 0;
    hm_handle_t vfs, dm;
    kt_start_services(&vfs, &dm);

    /* wait for the container to say it is ready (up to 30 s) */
    int running = 0;
    for (int t = 0; t < 1500 && !running; t++) {
        struct hm_msg m = { .tag = HM_TAG(HM_DM_LSDEV, 0, 0), .w = { 0 } };
        struct hm_dm_dev d;
        if (hm_call(dm, &m) == 0 && !HM_TAG_LABEL(m.tag)) {
            memcpy(&d, buf.words, sizeof d);
            running = m.w[0] == HM_DM_RUNNING && !strcmp(d.container, "ldc0") && !strcmp(d.driver, "virtio_blk");
        }
        if (!running)
            hm_sleep_until(hm_deadline_ms(20));
    }
    KT_CHECK(running, "devmgr: virtio_blk in ldc0, running");

    hm_handle_t drv = HM_HANDLE_INVALID;
    uint64_t size = 0;
    KT_EQ(open_node(vfs, "/dev/vda2", &drv, &size), 0, "open /dev/vda2 through vfs");
    KT_EQ(size, 4096 * 512, "vda2's size is the partition's");
    struct hm_blk_client c;
    int err = hm_blk_open(&c, drv, 16, 64 * 1024, &buf);
    KT_EQ(err, 0, "block session on vda2");
    if (err)
        return kt_finish();
    KT_EQ(c.size, 4096 * 512, "INFO: size of the partition");
    KT_EQ(c.lbs, 512, "INFO: 512-byte blocks");

    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 4096), 0, "read the partition's first 4 KiB");
    uint64_t got;
    memcpy(&got, c.data, 8);
    kt_report(got == want, "partition offset applied: first bytes are LBA 6144's", "got %lx want %lx",
              (unsigned long)got, (unsigned long)want);

    /* bad requests: error completions, the container goes on */
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, c.size, 0, 512), -ENOSPC, "read past the partition's end");
    KT_EQ(hm_blk_io(&c, HM_BLK_WRITE, c.size - 512, 0, 1024), -ENOSPC, "write across the partition's end");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 100, 0, 512), -EINVAL, "unaligned offset");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 100), -EINVAL, "unaligned length");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 0), -EINVAL, "empty read");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, c.data_size, 512), -EINVAL, "outside the data area");
    KT_EQ(hm_blk_io(&c, 77, 0, 0, 512), -EINVAL, "unknown operation");

    /* still serving: a write and a read-back at the partition's last block */
    memset(c.data, 0x5a, 512);
    KT_EQ(hm_blk_io(&c, HM_BLK_WRITE, c.size - 512, 0, 512), 0, "write the last block after the bad ones");
    memset(c.data, 0, 512);
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, c.size - 512, 4096, 512), 0, "read it back");
    KT_CHECK(c.data[4096] == 0x5a && c.data[4096 + 511] == 0x5a, "the bytes read are the bytes written");
    KT_EQ(hm_blk_io(&c, HM_BLK_FLUSH, 0, 0, 0), 0, "flush");

    /* many requests in flight at once */
    KT_CHECK(reads_in_flight(&c), "16 reads in flight complete");

    /* more bytes in flight than Linux has memory (24 MiB): three 8 MiB reads
     * of the whole disk at once all complete (the LDC holds requests back
     * instead of letting Linux's allocator spin) */
    hm_handle_t wd;
    uint64_t wds;
    struct hm_blk_client big;
    int bigok = open_node(vfs, "/dev/vda", &wd, &wds) == 0 && hm_blk_open(&big, wd, 4, 24u << 20, &buf) == 0;
    KT_CHECK(bigok, "a session with a 24 MiB data area on vda");
    if (bigok) {
        int good = 1;
        for (int i = 0; i < 3; i++)
            good &= hm_blk_submit(&big, HM_BLK_READ, 0, (uint64_t)i << 23, 8u << 20, (uint64_t)i) == 0;
        for (int i = 0; i < 3 && good; i++) {
            struct hm_blk_cpl cpl;
            good &= hm_blk_wait(&big, &cpl, hm_deadline_ms(20000)) == 0 && cpl.status == 0 && cpl.len == 8u << 20;
        }
        KT_CHECK(good, "three 8 MiB reads in flight complete");
        KT_CHECK(!memcmp(big.data, big.data + (8u << 20), 8u << 20), "and read the same bytes");
        /* 8 MiB writes go to Linux in pieces (a small region's bounce pages
         * hold less): the disk's bytes inverted, read back, then restored */
        uint8_t *orig = big.data, *inv = big.data + (8u << 20), *back = big.data + (16u << 20);
        for (uint32_t i = 0; i < 8u << 20; i++)
            inv[i] = (uint8_t)~orig[i];
        long w = whole_io(&big, HM_BLK_WRITE, 8u << 20, 10), r = w ? w : whole_io(&big, HM_BLK_READ, 16u << 20, 11);
        kt_report(!w && !r && !memcmp(back, inv, 8u << 20), "an 8 MiB write of the disk inverted reads back",
                  "write %ld, read %ld, first difference at %ld", w, r, first_diff(back, inv, 8u << 20));
        w = whole_io(&big, HM_BLK_WRITE, 0, 12), r = w ? w : whole_io(&big, HM_BLK_READ, 16u << 20, 13);
        kt_report(!w && !r && !memcmp(back, orig, 8u << 20), "and the disk's own bytes written back read back",
                  "write %ld, read %ld, first difference at %ld", w, r, first_diff(back, orig, 8u << 20));
        hm_blk_close(&big);
    }

    /* the whole disk is there too, and the session API refuses a forged badge */
    hm_handle_t whole;
    uint64_t wsize;
    KT_EQ(open_node(vfs, "/dev/vda", &whole, &wsize), 0, "open /dev/vda");
    KT_EQ(wsize, 8 * 1024 * 1024, "vda is the whole 8 MiB disk");
    struct hm_msg m = { .tag = HM_TAG(HM_BLK_DETACH, 0, 0) };
    KT_CHECK(hm_call(whole, &m) == 0 && HM_TAG_LABEL(m.tag) == EPERM, "detach on a disk handle refused (EPERM)");
    m = (struct hm_msg){ .tag = HM_TAG(HM_BLK_IOCTL, 0, 0), .w = { HM_BLK_IOC_GETSIZE } };
    KT_CHECK(hm_call(whole, &m) == 0 && HM_TAG_LABEL(m.tag) == 0 && m.w[0] == wsize, "ioctl GETSIZE");
    hm_blk_close(&c);
    KT_EQ(hm_blk_open(&c, drv, 16, 16 * 1024, &buf), 0, "a new session after close");
    KT_EQ(hm_blk_io(&c, HM_BLK_READ, 0, 0, 512), 0, "and it reads");
    hm_blk_close(&c);
    if (argc > 2)
        ufs_part(vfs, ufs_want);
    return kt_finish();
}
