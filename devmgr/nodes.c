/*
 * /dev nodes and logs. Containers publish the nodes of their devices
 * through devmgr (HM_DM_REGISTER): devmgr checks the name, attributes the
 * node to one of the container's devices (lsdev's NODE column), and
 * registers it in vfs; after a restart the same names go to the new
 * instance (HM_VFS_REPLACE). A container's log (dmesg) is read from the
 * container itself (HM_DC_LOG). Main thread only.
 */
#include "devmgr.h"
#include <hm/dc.h>
#include <hm/vfs.h>
#include <errno.h>
#include <stdio.h>

/* every node registered, and by which container (HM_DM_RESIZE checks it) */
#define MAX_NODES 64
static struct {
    char name[HM_DM_NAME_MAX];
    int ct;
} nodes[MAX_NODES];
static int nnodes;
static int nblk;   /* block nodes devmgr named so far: vda, vdb, ... as Linux names them */

const char *dm_sent_name(const struct hm_ipc_buf *buf, unsigned nwords, size_t max)
{
    size_t avail = (size_t)nwords * 8 < max ? (size_t)nwords * 8 : max;
    const char *name = (const char *)buf->words;
    return strnlen(name, avail) == avail ? NULL : name;
}

/* The device of container ct a node belongs to: `where` is what the
 * container says it sits on (HM_DM_WHERE_PCI | domain << 16 | bus << 8 |
 * devfn, or the MMIO address of a device-tree device); 0: its first
 * device-tree device. NULL if it has none there. */
static struct dm_dev *device_of(int ct, uint64_t where)
{
    struct dm_dev *host = NULL;
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        if (d->ct != ct)
            continue;
        if (where ? dm_dev_is_at(d, where) : d->host < 0)
            return d;
        if (!host && (where & HM_DM_WHERE_PCI) && !strcmp(d->info.kind, "pci-host") &&
            d->domain == (int)((where >> 16) & 0xffff))
            host = d;
    }
    /* a function devmgr does not list (behind a bridge: devmgr lists the
     * root bus): the node is its host's, one of the container's own */
    return host;
}

/* container ct's PCI function at `where` (HM_DM_WHERE_PCI | domain << 16
 * | bus << 8 | devfn), or NULL */
struct dm_dev *dm_pci_function_of(int ct, uint64_t where)
{
    if (!(where & HM_DM_WHERE_PCI))
        return NULL;
    struct dm_dev *d = device_of(ct, where);
    return d && d->host >= 0 && d->bdf == (where & 0xffff) ? d : NULL;
}

/* a disk's name: lower-case letters and digits only (a name in /dev, not
 * a path: no '/', no "..", nothing odd) */
static int name_ok(const char *name)
{
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return 0;
    return 1;
}

/* a character device's name as devtmpfs has it: components of letters,
 * digits, '_', '-' and '.', separated by single '/' (input/event0); no
 * empty, "." or ".." component */
static int chr_name_ok(const char *name)
{
    const char *c = name;   /* start of the current component */
    for (const char *p = name;; p++) {
        if (*p == '/' || !*p) {
            size_t n = (size_t)(p - c);
            if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                return 0;
            if (!*p)
                return 1;
            c = p + 1;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            return 0;
    }
}

/* one call to vfs about /dev/name (v: its words; nh handles in buf): its
 * status, 0 or a negative errno */
static int vfs_call(struct hm_ipc_buf *buf, uint32_t label, const char *name, unsigned nh, struct hm_msg *v)
{
    char path[HM_VFS_PATH_MAX] = { 0 };
    snprintf(path, sizeof path, "/dev/%s", name);
    memcpy(buf->words, path, sizeof path);
    v->tag = HM_TAG(label, HM_VFS_PATH_WORDS, nh);
    long r = hm_call(dm_vfs, v);
    if (r < 0) {
        printf("devmgr: cannot reach vfs about %s: %s\n", path, hm_strerror(r));
        return -EIO;
    }
    dm_drop_handles(r, v->tag, buf);   /* vfs sends none; do not keep strays */
    return -(int)HM_TAG_LABEL(v->tag);
}

/* HM_DM_REGISTER from container ct (hm/dm.h). */
int dm_node_register(int ct, struct hm_srv_req *r)
{
    const char *sent = dm_sent_name(r->buf, r->nwords, HM_DM_NAME_MAX);
    int chr = r->m.w[0] == HM_VFS_CHR;
    if (r->m.w[0] != HM_VFS_BLK && !chr)
        return -EINVAL;   /* the kinds of node drivers publish; vfs would take any type */
    if (!sent || !(chr ? chr_name_ok(sent) : name_ok(sent)))
        return -EINVAL;   /* no NUL within what was sent, or not a plain name */
    /* a character device on none of the board's devices (Linux's own, or
     * a core's like hwrng): only those the board file names */
    struct dm_dev *d = chr && !r->m.w[2] ? dm_conf_virtual_node(ct, sent) : device_of(ct, r->m.w[2]);
    if (!d)
        return chr && !r->m.w[2] ? -EPERM : dm_not_mine(ct, r->m.w[2], "a node");
    if (dm_vfs < 0)
        return -ENOTSUP;  /* started without vfs: there is nowhere to publish */
    char name[HM_DM_NAME_MAX];
    dm_copy_str(name, sizeof name, sent);
    int named = !name[0];
    if (named && d->info.node[0]) {
        /* an earlier life of the container had this device: the same name */
        dm_copy_str(name, sizeof d->info.node, d->info.node);
        named = 0;
    } else if (named) {
        if (nblk >= 26)
            return -ENOSPC;
        snprintf(name, sizeof name, "vd%c", 'a' + nblk);
    }
    /* a node an earlier life of this container registered: vfs gives it the
     * new endpoint (clients that open it from now on reach the new driver) */
    int again = 0;
    for (int i = 0; i < nnodes && !again; i++)
        again = nodes[i].ct == ct && !strcmp(nodes[i].name, name);
    /* copied, not moved, and closed by the server loop whatever happens: a
     * call that fails may or may not have taken a moved handle */
    r->buf->handles[0] = r->h[0];
    struct hm_msg v = { .w = { chr ? HM_VFS_CHR : HM_VFS_BLK, r->m.w[1], again ? HM_VFS_REPLACE : 0 } };
    int st = vfs_call(r->buf, HM_VFS_REGISTER, name, 1, &v);
    if (st)
        return st;   /* vfs's answer: EEXIST, ENOSPC, EINVAL..., or EIO */
    if (named)
        nblk++;   /* only a name vfs took is used up */
    if (!again && nnodes < MAX_NODES) {
        dm_copy_str(nodes[nnodes].name, sizeof nodes[nnodes].name, name);
        nodes[nnodes++].ct = ct;
    }
    if (!again && d->nodes++ == 0)
        dm_copy_str(d->info.node, sizeof d->info.node, name);
    memset(r->buf->words, 0, HM_DM_NAME_MAX);
    memcpy(r->buf->words, name, strlen(name) + 1);
    r->reply_words = (unsigned)(strlen(name) + 1 + 7) / 8;
    return 0;
}

/* HM_DM_RESIZE from container ct: a node of its own has a new size */
int dm_node_resize(int ct, struct hm_srv_req *r)
{
    const char *name = dm_sent_name(r->buf, r->nwords, HM_DM_NAME_MAX);
    if (!name)
        return -EINVAL;
    int i = 0;
    while (i < nnodes && (nodes[i].ct != ct || strcmp(nodes[i].name, name)))
        i++;
    if (i == nnodes)
        return -EPERM;   /* not a node this container registered */
    char copy[HM_DM_NAME_MAX];
    dm_copy_str(copy, sizeof copy, name);   /* the buffer is reused for the call */
    struct hm_msg v = { .w = { 0, r->m.w[1] } };
    return vfs_call(r->buf, HM_VFS_RESIZE, copy, 0, &v);
}

/* HM_DM_DMESG: w0 device index, w1 offset. Asks the device's container for
 * that part of its log (HM_DC_LOG) and passes the answer on. The call has
 * no time limit (calls cannot have one): a container that never answers
 * would stop devmgr, as it would stop any of its clients; the heartbeat
 * stops such a container, which ends the call. */
int dm_log_read(struct hm_srv_req *r)
{
    if (r->m.w[0] >= (uint64_t)dm_ndevs)
        return -ENOENT;
    struct dm_dev *d = &dm_devs[r->m.w[0]];
    if (d->ct < 0)
        return -ENOTSUP;   /* no container drives it */
    struct dm_ct *c = &dm_cts[d->ct];
    int st = __atomic_load_n(&c->state, __ATOMIC_SEQ_CST);
    if (st != HM_DM_STARTING && st != HM_DM_RUNNING)
        return -ENOTSUP;   /* no container runs for it */
    struct hm_msg q = { .tag = HM_TAG(HM_DC_LOG, 0, 0), .w = { r->m.w[1] } };
    long e = dm_ct_call(c, &q, r->buf);
    if (e == -HM_EBADH)
        return -ENOTSUP;   /* it has no endpoint */
    if (e < 0)
        return -EIO;       /* the container is gone (it exited, or faulted meanwhile) */
    if (HM_TAG_LABEL(q.tag))
        return -ENOTSUP;   /* it keeps no log (ndc: an unknown request) */
    uint64_t n = q.w[0];
    if (n > HM_DC_LOG_CHUNK || n > (uint64_t)HM_TAG_NWORDS(q.tag) * 8)
        return -EIO;       /* more than it sent: do not pass on stale buffer contents */
    r->m.w[0] = n;
    r->m.w[1] = q.w[1];
    r->m.w[2] = q.w[2];
    r->reply_words = (unsigned)(n + 7) / 8;
    return 0;
}
