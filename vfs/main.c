/*
 * vfs: the namespace. /dev holds the device nodes the device manager
 * registers (named as Linux names them: vda, rtc0, input/event0, ...) and
 * /dev/zero; /tmp is a
 * small in-memory tree of files. Opening a device hands the client a direct
 * session with its driver; vfs is not on the data path. /tmp files are read
 * and written through vfs itself.
 * Handle: "vfs" (its endpoint, RECV). One handler per request of hm/vfs.h;
 * the table at the end says who may ask what.
 */
#include "vfs.h"
#include <hm/blk.h>
#include <hm/server.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* caller classes (the badge of the handle they call with) */
#define VFS_CLIENT 1u   /* badge 0: what init and devmgr hand out */
#define VFS_DM     2u   /* HM_VFS_BADGE_DM: the device manager */

static uint32_t vfs_classify(uint64_t badge)
{
    return badge == HM_VFS_BADGE_DM ? VFS_DM : VFS_CLIENT;
}

/* the request's path and its node (NULL if none): 0 or -EINVAL */
static int path_node(struct hm_srv_req *r, char path[HM_VFS_PATH_MAX], struct vfs_node **n)
{
    int st = vfs_path_of(r->buf->words, r->nwords, path);
    *n = st ? NULL : vfs_lookup(path);
    return st;
}

/* the same for a node that must exist: 0, -EINVAL or -ENOENT */
static int existing_node(struct hm_srv_req *r, char path[HM_VFS_PATH_MAX], struct vfs_node **n)
{
    int st = path_node(r, path, n);
    return st ? st : *n ? 0 : -ENOENT;
}

/* OPEN and STAT: w0 type, w1 size; OPEN of a device also a direct line to
 * its driver */
static int open_or_stat(struct hm_srv_req *r, int open)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    int st = existing_node(r, path, &n);
    if (st)
        return st;
    r->m.w[0] = (uint64_t)n->type;
    r->m.w[1] = n->size;
    if (!open || (n->type != HM_VFS_BLK && n->type != HM_VFS_CHR))
        return 0;
    /* without the right to duplicate it: a client cannot mint the driver's
     * session badges */
    long h = hm_handle_dup(n->driver, HM_R_SEND | HM_R_GRANT, 0);
    if (h < 0)
        return -EIO;
    r->buf->handles[0] = (hm_handle_t)h;
    r->reply_handles = 1;
    r->reply_move = 1;
    return 0;
}

static int vfs_open(struct hm_srv_req *r) { return open_or_stat(r, 1); }
static int vfs_stat(struct hm_srv_req *r) { return open_or_stat(r, 0); }

static int vfs_readdir(struct hm_srv_req *r)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    int st = existing_node(r, path, &n);
    if (st)
        return st;
    if (n->type != HM_VFS_DIR)
        return -ENOTDIR;
    struct vfs_node *c = vfs_child(path, r->m.w[0]);
    if (!c)
        return -ENOENT;   /* past the last entry */
    memset(r->buf->words, 0, HM_VFS_PATH_MAX);
    snprintf((char *)r->buf->words, HM_VFS_PATH_MAX, "%s", strrchr(c->path, '/') + 1);
    r->reply_words = HM_VFS_PATH_WORDS;
    r->m.w[0] = (uint64_t)c->type;
    r->m.w[1] = c->size;
    return 0;
}

static int vfs_read(struct hm_srv_req *r)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    int st = existing_node(r, path, &n);
    uint64_t off = r->m.w[0], len = r->m.w[1];
    if (st)
        return st;
    if (n->type != HM_VFS_FILE || len > HM_VFS_IO_MAX)
        return -EINVAL;
    uint64_t got = off >= n->size ? 0 : (n->size - off < len ? n->size - off : len);
    memcpy((uint8_t *)r->buf->words + HM_VFS_PATH_MAX, n->data + off, got);
    r->m.w[0] = got;
    r->reply_words = HM_VFS_PATH_WORDS + (unsigned)((got + 7) / 8);
    return 0;
}

static int vfs_write(struct hm_srv_req *r)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    int st = path_node(r, path, &n);
    uint64_t len = r->m.w[1];
    if (st)
        return st;
    if (len > HM_VFS_IO_MAX || r->nwords * 8 < HM_VFS_PATH_MAX + len)
        return -EINVAL;   /* more than it sent */
    st = vfs_tmp_write(path, r->m.w[0], len, (uint8_t *)r->buf->words + HM_VFS_PATH_MAX);
    if (!st)
        r->m.w[0] = len;
    return st;
}

/* routed: the node's driver answers, vfs passes its answer on */
static int vfs_ioctl(struct hm_srv_req *r)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    int st = existing_node(r, path, &n);
    if (st)
        return st;
    if (n->driver < 0 || n->type != HM_VFS_BLK)
        return -ENOTTY;
    struct hm_msg d = { .tag = HM_TAG(HM_BLK_IOCTL, 0, 0), .w = { r->m.w[0], r->m.w[1] } };
    if (hm_call(n->driver, &d) < 0)
        return -EIO;
    memcpy(r->m.w, d.w, sizeof r->m.w);
    return -(int)HM_TAG_LABEL(d.tag);
}

/* REGISTER (devmgr): w0 type, w1 size, w2 HM_VFS_REPLACE or 0, h[0] the
 * driver's endpoint */
static int vfs_register(struct hm_srv_req *r)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    struct hm_handle_info hi;
    int st = path_node(r, path, &n);
    if (st)
        return st;
    if (strncmp(path, "/dev/", 5))
        return -EACCES;   /* devices live in /dev only */
    if (hm_handle_info(r->h[0], &hi) < 0 || hi.type != HM_OBJ_EP ||
        (hi.rights & (HM_R_SEND | HM_R_GRANT | HM_R_DUP)) != (HM_R_SEND | HM_R_GRANT | HM_R_DUP))
        return -EINVAL;   /* vfs hands out send-only copies of it: it needs these rights */
    if (r->m.w[2] == HM_VFS_REPLACE) {
        if (!n || n->type != (int)r->m.w[0])
            return -ENOENT;
        /* its driver was restarted: opens from now on reach the new one;
         * sessions on the old endpoint fail (closed) */
        hm_handle_close(n->driver);
        n->driver = r->h[0];
        r->h[0] = HM_HANDLE_INVALID;
        n->size = r->m.w[1];
        printf("vfs: %s registered again (its driver restarted)\n", path);
        return 0;
    }
    if (n)
        return -EEXIST;
    if (r->m.w[0] != HM_VFS_BLK && r->m.w[0] != HM_VFS_CHR)
        return -EINVAL;   /* drivers register devices */
    if ((st = vfs_add_parents(path)))
        return st;
    if (!(n = vfs_add(path, (int)r->m.w[0], r->m.w[1])))
        return -ENOSPC;
    n->driver = r->h[0];
    r->h[0] = HM_HANDLE_INVALID;
    printf("vfs: %s registered\n", path);
    return 0;
}

/* RESIZE (devmgr): w1 a device node's new size */
static int vfs_resize(struct hm_srv_req *r)
{
    char path[HM_VFS_PATH_MAX];
    struct vfs_node *n;
    int st = path_node(r, path, &n);
    if (st)
        return st;
    if (!n || n->type != HM_VFS_BLK)
        return -ENOENT;
    if (n->size != r->m.w[1]) {
        printf("vfs: %s is now %lu bytes (was %lu)\n", path, (unsigned long)r->m.w[1], (unsigned long)n->size);
        n->size = r->m.w[1];
    }
    return 0;
}

static const struct hm_srv_op vfs_ops[] = {
    /* label            who may ask  handles  handler */
    { HM_VFS_OPEN,      HM_SRV_ANY,  0,       vfs_open },
    { HM_VFS_STAT,      HM_SRV_ANY,  0,       vfs_stat },
    { HM_VFS_READDIR,   HM_SRV_ANY,  0,       vfs_readdir },
    { HM_VFS_READ,      HM_SRV_ANY,  0,       vfs_read },
    { HM_VFS_WRITE,     HM_SRV_ANY,  0,       vfs_write },
    { HM_VFS_IOCTL,     HM_SRV_ANY,  0,       vfs_ioctl },
    { HM_VFS_REGISTER,  VFS_DM,      1,       vfs_register },
    { HM_VFS_RESIZE,    VFS_DM,      0,       vfs_resize },
};

int main(void)
{
    static struct hm_ipc_buf buf;
    hm_handle_t ep = hm_start_handle("vfs");
    if (ep < 0) {
        printf("vfs: no endpoint handle\n");
        return 1;
    }
    vfs_add("/", HM_VFS_DIR, 0);
    vfs_add("/dev", HM_VFS_DIR, 0);
    vfs_add("/tmp", HM_VFS_DIR, 0);
    vfs_add("/dev/zero", HM_VFS_ZERO, 0);
    struct hm_srv srv = { .ep = ep, .ops = vfs_ops, .nops = sizeof vfs_ops / sizeof vfs_ops[0],
                          .classify = vfs_classify, .buf = &buf };
    long r = hm_srv_run(&srv);
    printf("vfs: its endpoint failed (%s): no more requests\n", hm_strerror(r));
    return 1;
}
