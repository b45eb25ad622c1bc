/* vfs: namespace, /tmp files, device registration only by the device
 * manager, and malformed requests: each gets an error and vfs keeps serving.
 * A process without a vfs handle cannot open anything. */
#include "ktest.h"
#include <hm/vfs.h>
#include <hm/blk.h>
#include <errno.h>
#include <string.h>

static struct hm_ipc_buf buf;
static hm_handle_t vfs;
static hm_handle_t fake_drv;

/* a stand-in driver: answers ioctl command C with 10 * C */
static void *fake_driver(void *a)
{
    (void)a;
    static struct hm_ipc_buf b;
    hm_ipc_buf_set(&b);
    struct hm_msg m;
    long r = hm_recv(fake_drv, &m, HM_DEADLINE_NEVER);
    while (r >= 0) {
        int ok = HM_TAG_LABEL(m.tag) == HM_BLK_IOCTL;
        m.w[0] = m.w[0] * 10;
        m.tag = HM_TAG(ok ? 0 : EINVAL, 0, 0);
        r = hm_reply_recv(fake_drv, &m);
    }
    return NULL;
}

static int req(uint32_t op, const char *path, struct hm_msg *m, unsigned words)
{
    memset(buf.words, 0, sizeof buf.words);
    if (path)
        strncpy((char *)buf.words, path, HM_VFS_PATH_MAX);
    m->tag = HM_TAG(op, words, 0);
    long r = hm_call(vfs, m);
    return r < 0 ? -1 : (int)HM_TAG_LABEL(m->tag);
}

int main(void)
{
    kt_init("vfs");
    hm_ipc_buf_set(&buf);
    long ep = hm_ep_create();
    const char *argv[] = { "vfs", NULL };
    struct hm_spawn_handle hs = { "vfs", (hm_handle_t)ep, HM_R_RECV };
    long p = hm_spawn("vfs", argv, &hs, 1, HM_HANDLE_INVALID, HM_PRIO_SERVICE);
    KT_OK(p, "start vfs");
    vfs = (hm_handle_t)hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0);
    long dmh = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, HM_VFS_BADGE_DM);
    struct hm_msg m = {0};
    KT_EQ(req(HM_VFS_STAT, "/dev", &m, 16), 0, "stat /dev");
    KT_EQ(m.w[0], HM_VFS_DIR, "/dev is a directory");
    KT_EQ(req(HM_VFS_OPEN, "/dev/nothing", &m, 16), ENOENT, "open a missing path: ENOENT");
    KT_EQ(req(HM_VFS_OPEN, "relative", &m, 16), EINVAL, "relative path: EINVAL");
    KT_EQ(req(HM_VFS_OPEN, "/tmp/../dev/zero", &m, 16), EINVAL, "'..' refused");
    KT_EQ(req(HM_VFS_STAT, "/tmp/..", &m, 16), EINVAL, "trailing '..' refused");
    KT_EQ(req(HM_VFS_OPEN, NULL, &m, 0), EINVAL, "no path at all: EINVAL");
    memset(buf.words, 'x', sizeof buf.words);
    m.tag = HM_TAG(HM_VFS_OPEN, 16, 0);
    KT_CHECK(hm_call(vfs, &m) == 0 && HM_TAG_LABEL(m.tag) == EINVAL, "unterminated path: EINVAL");
    KT_EQ(req(0x1234, "/dev", &m, 16), EINVAL, "unknown request: EINVAL");
    m.w[0] = HM_VFS_BLK;
    KT_EQ(req(HM_VFS_REGISTER, "/dev/evil", &m, 16), EPERM, "registration without the device manager's badge refused (EPERM)");
    KT_EQ(req(HM_VFS_RESIZE, "/dev/zero", &m, 16), EPERM, "resize without the device manager's badge refused (EPERM)");

    /* /tmp */
    memcpy((char *)buf.words + HM_VFS_PATH_MAX, "hello", 5);
    m = (struct hm_msg){ .tag = HM_TAG(HM_VFS_WRITE, 17, 0), .w = { 0, 5 } };
    strcpy((char *)buf.words, "/tmp/a");
    KT_CHECK(hm_call(vfs, &m) == 0 && HM_TAG_LABEL(m.tag) == 0 && m.w[0] == 5, "write a /tmp file");
    m.w[0] = 1;
    m.w[1] = 100;
    KT_CHECK(req(HM_VFS_READ, "/tmp/a", &m, 16) == 0 && m.w[0] == 4 &&
             !memcmp((char *)buf.words + HM_VFS_PATH_MAX, "ello", 4), "read it back from an offset (short read at the end)");
    m.w[0] = 0;
    m.w[1] = 100000;
    KT_EQ(req(HM_VFS_READ, "/tmp/a", &m, 16), EINVAL, "oversized read: EINVAL");
    m = (struct hm_msg){ .w = { 0, 4 } };
    KT_EQ(req(HM_VFS_WRITE, "/dev/zero", &m, 17), EROFS, "write to a device node through vfs: EROFS");
    m = (struct hm_msg){ .w = { 0, 4 } };
    KT_EQ(req(HM_VFS_WRITE, "/etc/x", &m, 17), EACCES, "create outside /tmp: EACCES");
    m = (struct hm_msg){ .w = { 1 << 20, 4 } };
    KT_EQ(req(HM_VFS_WRITE, "/tmp/a", &m, 17), ENOSPC, "write past the /tmp file limit: ENOSPC");
    m = (struct hm_msg){ .w = { 0 } };
    KT_EQ(req(HM_VFS_READDIR, "/tmp", &m, 16), 0, "readdir /tmp");
    KT_CHECK(!strcmp((char *)buf.words, "a") && m.w[1] == 5, "lists the file with its size");
    m = (struct hm_msg){ .w = { 0 } };
    KT_EQ(req(HM_VFS_READDIR, "/tmp/a", &m, 16), ENOTDIR, "readdir of a file: ENOTDIR");

    /* registration by the device manager, then open hands over a session handle */
    long drv = hm_ep_create();
    buf.handles[0] = (hm_handle_t)hm_handle_dup((hm_handle_t)drv, HM_R_SEND | HM_R_GRANT, 0);
    memset(buf.words, 0, 128);
    strcpy((char *)buf.words, "/dev/vdy");
    m = (struct hm_msg){ .tag = HM_TAG(HM_VFS_REGISTER, 16, 1) | HM_TAG_MOVE, .w = { HM_VFS_BLK, 4096 } };
    KT_CHECK(hm_call((hm_handle_t)dmh, &m) == 0 && HM_TAG_LABEL(m.tag) == EINVAL, "registration of a handle vfs cannot hand out refused");
    buf.handles[0] = (hm_handle_t)hm_handle_dup((hm_handle_t)drv, HM_R_SEND | HM_R_GRANT | HM_R_DUP, 0);
    memset(buf.words, 0, 128);
    strcpy((char *)buf.words, "/dev/vdz");
    m = (struct hm_msg){ .tag = HM_TAG(HM_VFS_REGISTER, 16, 1) | HM_TAG_MOVE, .w = { HM_VFS_BLK, 4096 } };
    KT_CHECK(hm_call((hm_handle_t)dmh, &m) == 0 && HM_TAG_LABEL(m.tag) == 0, "device manager registers /dev/vdz");
    KT_EQ(req(HM_VFS_OPEN, "/dev/vdz", &m, 16), 0, "open it");
    struct hm_handle_info info;
    KT_CHECK(HM_TAG_NHANDLES(m.tag) == 1 && hm_handle_info(buf.handles[0], &info) == 0 && info.type == HM_OBJ_EP &&
             (info.rights & HM_R_SEND) && !(info.rights & (HM_R_RECV | HM_R_DUP)), "open returns a send handle to the driver (no receive, no duplicate)");

    /* ioctl is routed to the node's driver */
    fake_drv = (hm_handle_t)drv;
    struct hm_thread ft;
    hm_thread_start(&ft, fake_driver, NULL, HM_PRIO_MAX - 2, 1);
    m = (struct hm_msg){ .w = { 7, 0 } };
    KT_EQ(req(HM_VFS_IOCTL, "/dev/vdz", &m, 16), 0, "ioctl on a device node");
    KT_EQ(m.w[0], 70, "answered by its driver");
    m = (struct hm_msg){ .w = { 7, 0 } };
    KT_EQ(req(HM_VFS_IOCTL, "/tmp/a", &m, 16), ENOTTY, "ioctl on a /tmp file: ENOTTY");
    KT_EQ(req(HM_VFS_IOCTL, "/dev/none", &m, 16), ENOENT, "ioctl on a missing node: ENOENT");

    /* no vfs handle: nothing opens */
    const char *hargv[] = { "kt_helper", "novfs", NULL };
    long h = hm_spawn("kt_helper", hargv, NULL, 0, HM_HANDLE_INVALID, HM_PRIO_MAX - 3);
    KT_EQ(kt_wait((hm_handle_t)h, 5000), 0, "a process given no vfs handle cannot open anything");
    KT_EQ(req(HM_VFS_STAT, "/", &m, 16), 0, "vfs still serves");
    hm_proc_kill((hm_handle_t)p);
    return kt_finish();
}
