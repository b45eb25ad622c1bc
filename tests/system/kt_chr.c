/* Character devices in a Linux driver container (hm/chr.h), as clients see
 * them: vfs and devmgr are started as on the default board, which gives the
 * PL031 RTC and a virtio-rng to ldc0. Bad input gets clean errors and the
 * container keeps serving; files of clients that die are released (1000
 * times: rtc0 allows one open at a time, so each new client's open fails
 * with EBUSY unless the previous one's release ran); a client asleep in a
 * read blocks neither vfs nor devmgr, and killed, its read ends and its
 * file is released; a container killed with a file open: the next call
 * gets EIO and a new open works. */
#include "ktest.h"
#include <hm/chrclient.h>
#include <hm/dm.h>
#include <hm/dmclient.h>
#include <hm/vfs.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct hm_ipc_buf buf;
struct rtc_time { int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst; };
#define RTC_RD_TIME HM_IOC(HM_IOC_READ, 'p', 0x09, sizeof(struct rtc_time))

static long open_node(hm_handle_t vfs, const char *path, hm_handle_t *drv)
{
    memset(buf.words, 0, HM_VFS_PATH_MAX);
    strncpy((char *)buf.words, path, HM_VFS_PATH_MAX - 1);
    struct hm_msg m = { .tag = HM_TAG(HM_VFS_OPEN, HM_VFS_PATH_WORDS, 0) };
    long r = hm_call(vfs, &m);
    if (r < 0)
        return r;
    if (HM_TAG_LABEL(m.tag))
        return -(long)HM_TAG_LABEL(m.tag);
    if (HM_TAG_NHANDLES(m.tag) != 1 || m.w[0] != HM_VFS_CHR)
        return -EIO;
    *drv = buf.handles[0];
    return 0;
}

/* a node that may still be coming (its container starting): up to 30 s */
static long open_node_wait(hm_handle_t vfs, const char *path, hm_handle_t *drv)
{
    long st = -ENOENT;
    for (int t = 0; t < 1500 && st; t++)
        if ((st = open_node(vfs, path, drv)))
            hm_sleep_until(hm_deadline_ms(20));
    return st;
}

static int rtc_reads(struct hm_chr_file *f)
{
    struct rtc_time t = {0};
    return hm_chr_ioctl(f, RTC_RD_TIME, &t, 0) == 0 && t.tm_year >= 100 && t.tm_mon < 12 && t.tm_mday >= 1;
}

/* HM_CHR_OPEN by hand, with handles h (3): the status */
static long raw_open(hm_handle_t node, hm_handle_t mem, hm_handle_t notif, hm_handle_t proc, uint64_t flags)
{
    buf.handles[0] = mem;
    buf.handles[1] = notif;
    buf.handles[2] = proc;
    struct hm_msg m = { .tag = HM_TAG(HM_CHR_OPEN, 0, 3), .w = { flags, 1, 2 } };
    long r = hm_call(node, &m);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < HM_TAG_NHANDLES(m.tag); i++)
        hm_handle_close(buf.handles[i]);
    return -(long)HM_TAG_LABEL(m.tag);
}

/* a request written into the shared page by hand: its result (1: no
 * answer in 5 s) */
static int64_t raw_call(struct hm_chr_file *f, uint32_t op, uint64_t arg0)
{
    f->sh->op = op;
    f->sh->arg[0] = arg0;
    __asm__ volatile("dmb ish" ::: "memory");
    f->sh->req = ++f->req;
    hm_notif_signal(f->doorbell, HM_CHR_DOORBELL_BIT);
    uint64_t bits;
    for (int t = 0; t < 500 && f->sh->done != f->req; t++)
        hm_notif_wait(f->notif, hm_deadline_ms(10), &bits);
    __asm__ volatile("dmb ish" ::: "memory");
    return f->sh->done == f->req ? f->sh->result : 1;
}

static void bad_input(hm_handle_t rtc)
{
    struct hm_chr_file f;
    KT_EQ(hm_chr_open(&f, rtc, HM_CHR_O_RDONLY, &buf), 0, "open /dev/rtc0");
    KT_CHECK(rtc_reads(&f), "RTC_RD_TIME reads a plausible date");
    int v = 0;
    KT_EQ(hm_chr_ioctl(&f, HM_IOC(HM_IOC_NONE, 'p', 0x7f, 0), NULL, 0), -ENOTTY,
          "a command that describes no argument and is in no table: ENOTTY");
    KT_EQ(hm_chr_ioctl(&f, HM_IOC(HM_IOC_READ, 'p', 0x77, sizeof v), &v, 0), -ENOTTY,
          "an encoded command the driver does not know: ENOTTY (Linux's answer)");
    /* the library refuses these; the container is asked by hand */
    KT_EQ(raw_call(&f, HM_CHR_OP_IOCTL, HM_IOC(HM_IOC_READ, 'p', 0x09, 5000)), -EINVAL,
          "an argument above 4 KiB: EINVAL, from the container");
    KT_EQ(raw_call(&f, HM_CHR_OP_MMAP, 0), -ENODEV, "mmap: refused, ENODEV");
    KT_EQ(raw_call(&f, 99, 0), -EINVAL, "an unknown operation: EINVAL");
    KT_EQ(hm_chr_write(&f, "x", 1), -EBADF, "write on a read-only open: EBADF (Linux's answer)");
    KT_CHECK(rtc_reads(&f), "the container still serves rtc0");
    hm_chr_close(&f);
    KT_EQ(hm_chr_open(&f, rtc, HM_CHR_O_RDWR, &buf), 0, "open /dev/rtc0 read-write");
    KT_EQ(hm_chr_write(&f, "x", 1), -EINVAL, "write to the RTC, which has no write: EINVAL (Linux's answer)");
    KT_CHECK(rtc_reads(&f), "and it still reads");
    hm_chr_close(&f);

    /* memory the container cannot map, or too little: EFAULT; no process
     * handle, or one that can kill us: EINVAL */
    long n = hm_notif_create(), small = hm_mem_create(4096, HM_MEM_ANON);
    long nd = hm_handle_dup((hm_handle_t)n, HM_R_SIGNAL | HM_R_GRANT, 0);
    long pd = hm_handle_dup(HM_HANDLE_SELF_PROC, HM_R_READ | HM_R_GRANT, 0);
    long pm = hm_handle_dup(HM_HANDLE_SELF_PROC, HM_R_READ | HM_R_MANAGE | HM_R_GRANT, 0);
    KT_EQ(raw_open(rtc, (hm_handle_t)small, (hm_handle_t)nd, (hm_handle_t)pd, 0), -EFAULT,
          "shared memory of one page (two needed): EFAULT");
    KT_EQ(raw_open(rtc, (hm_handle_t)nd, (hm_handle_t)nd, (hm_handle_t)pd, 0), -EFAULT,
          "a notification in place of the memory: EFAULT");
    long big = hm_mem_create(HM_CHR_SHM_SIZE, HM_MEM_ANON);
    KT_EQ(raw_open(rtc, (hm_handle_t)big, (hm_handle_t)nd, (hm_handle_t)pm, 0), -EINVAL,
          "a process handle with the right to kill it: EINVAL");
    KT_EQ(raw_open(rtc, (hm_handle_t)big, (hm_handle_t)nd, (hm_handle_t)pd, 0x40000), -EINVAL,
          "an open flag outside O_ACCMODE | O_NONBLOCK: EINVAL");
    KT_EQ(hm_chr_open(&f, rtc, HM_CHR_O_RDONLY, &buf), 0, "a good open after the bad ones");
    KT_CHECK(rtc_reads(&f), "and rtc0 reads");
    hm_chr_close(&f);
    for (int i = 0; i < 1000; i++) {
        if (hm_chr_open(&f, rtc, HM_CHR_O_RDONLY, &buf)) {
            kt_report(0, "1000 opens and closes", "open %d failed", i);
            break;
        }
        hm_chr_close(&f);
        if (i == 999)
            kt_report(1, "1000 opens and closes", "%s", "");
    }
}

/* clients that die with rtc0 open, n times: each new one can open it */
static void killed_clients(hm_handle_t vfs, hm_handle_t rtc, int n)
{
    long notif = hm_notif_create();
    int ok = 1, i;
    for (i = 0; i < n && ok; i++) {
        hm_handle_t ep = HM_HANDLE_INVALID;
        long oe = open_node(vfs, "/dev/rtc0", &ep);
        const char *hargv[] = { "kt_helper", "chropen", NULL };
        struct hm_spawn_handle hs[2] = { { "notif", (hm_handle_t)notif, HM_R_SIGNAL }, { "chr", ep, HM_R_SEND } };
        long h = oe ? oe : hm_spawn("kt_helper", hargv, hs, 2, HM_HANDLE_INVALID, HM_PRIO_MAX - 3);
        uint64_t bits = 0;
        long w = h < 0 ? h : hm_notif_wait((hm_handle_t)notif, hm_deadline_ms(10000), &bits);
        if (ep >= 0)
            hm_handle_close(ep);
        if (w < 0 || bits != 1) {
            kt_report(0, "1000 clients die with rtc0 open, each opens it", "client %d: spawn %ld, wait %ld, bits %lu",
                      i, h, w, (unsigned long)bits);
            ok = 0;
        }
        if (h >= 0) {
            hm_proc_kill((hm_handle_t)h);
            hm_handle_close((hm_handle_t)h);
        }
    }
    if (ok)
        kt_report(1, "1000 clients die with rtc0 open, each opens it", "%s", "");
    uint64_t open = 99;
    for (int t = 0; t < 100; t++) {
        if (hm_chr_stat(rtc, &open) == 0 && open == 0)
            break;
        hm_sleep_until(hm_deadline_ms(20));
    }
    KT_EQ(open, 0, "then Linux's open count of rtc0 is 0 (every release ran)");
}

/* a client asleep in a read: vfs and devmgr answer meanwhile; killed, its
 * read is interrupted and its file released */
static void hung_read(hm_handle_t vfs, hm_handle_t dm, hm_handle_t rtc)
{
    long notif = hm_notif_create();
    hm_handle_t ep = HM_HANDLE_INVALID;
    long oe = open_node(vfs, "/dev/rtc0", &ep);
    const char *hargv[] = { "kt_helper", "chrread", NULL };
    struct hm_spawn_handle hs[2] = { { "notif", (hm_handle_t)notif, HM_R_SIGNAL }, { "chr", ep, HM_R_SEND } };
    long h = oe ? oe : hm_spawn("kt_helper", hargv, hs, 2, HM_HANDLE_INVALID, HM_PRIO_MAX - 3);
    uint64_t bits = 0, open = 0;
    long w = h < 0 ? h : hm_notif_wait((hm_handle_t)notif, hm_deadline_ms(10000), &bits);
    kt_report(w >= 0 && bits == 1, "a client reads rtc0 (it sleeps in rtc_dev_read)", "spawn %ld, wait %ld, bits %lu", h,
              w, (unsigned long)bits);
    hm_sleep_until(hm_deadline_ms(300));
    hm_handle_t other = HM_HANDLE_INVALID;
    KT_EQ(open_node(vfs, "/dev/rtc0", &other), 0, "vfs answers meanwhile");
    struct hm_dm_row row;
    KT_EQ(hm_dm_lsdev(dm, &buf, 0, &row), 0, "so does devmgr");
    KT_EQ(hm_chr_stat(rtc, &open), 0, "and the container");
    KT_EQ(open, 1, "the sleeping reader's file is open in Linux");
    if (h >= 0) {
        hm_proc_kill((hm_handle_t)h);
        hm_handle_close((hm_handle_t)h);
    }
    for (int t = 0; t < 100 && open; t++) {
        hm_sleep_until(hm_deadline_ms(20));
        hm_chr_stat(rtc, &open);
    }
    KT_EQ(open, 0, "killed, its read is interrupted and its file released");
    if (ep >= 0)
        hm_handle_close(ep);
    if (other >= 0)
        hm_handle_close(other);
}

int main(void)
{
    kt_init("chr");
    hm_ipc_buf_set(&buf);
    hm_handle_t vfs, dm;
    kt_start_services(&vfs, &dm);

    hm_handle_t rtc = HM_HANDLE_INVALID;
    KT_EQ(open_node_wait(vfs, "/dev/rtc0", &rtc), 0, "/dev/rtc0 is published (PL031, ldc0)");
    if (rtc < 0)
        return kt_finish();
    bad_input(rtc);
    killed_clients(vfs, rtc, 1000);
    hung_read(vfs, dm, rtc);

    /* the container killed with a file open */
    struct hm_chr_file f;
    KT_EQ(hm_chr_open(&f, rtc, HM_CHR_O_RDONLY, &buf), 0, "open rtc0 again");
    uint64_t restarts = 0;
    KT_EQ(hm_dm_fault(dm, &buf, "ldc0", HM_DM_FAULT_KILL, 0, 0, &restarts), 0, "kill ldc0 with rtc0 open");
    struct rtc_time t;
    KT_EQ(hm_chr_ioctl(&f, RTC_RD_TIME, &t, 0), -EIO, "the open file's next call: EIO");
    KT_EQ(hm_chr_read(&f, &t, sizeof t), -EIO, "and the one after");
    hm_chr_close(&f);
    hm_handle_close(rtc);
    long st = -ENOENT;
    for (int i = 0; i < 1500 && st; i++) {
        rtc = HM_HANDLE_INVALID;
        st = open_node(vfs, "/dev/rtc0", &rtc);
        if (!st && (st = hm_chr_open(&f, rtc, HM_CHR_O_RDONLY, &buf)))
            hm_handle_close(rtc);   /* the old container's endpoint, until the new one registers */
        if (st)
            hm_sleep_until(hm_deadline_ms(20));
    }
    KT_EQ(st, 0, "a new open reaches the restarted container");
    KT_CHECK(!st && rtc_reads(&f), "and rtc0 reads there");
    return kt_finish();
}
