/*
 * vfs: the namespace. /dev holds the device nodes the device manager
 * registers (named as Linux names them: vda, ...) and /dev/zero; /tmp is a
 * small in-memory tree of files. Opening a device hands the client a direct
 * session with its driver; vfs is not on the data path. /tmp files are read
 * and written through vfs itself.
 * Handle: "vfs" (its endpoint, RECV). Registration is accepted only with
 * the device manager's badge (HM_VFS_BADGE_DM).
 */
#include <hm/hm.h>
#include <hm/vfs.h>
#include <hm/blk.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 64
#define TMP_FILE_MAX (64 * 1024)

struct node {
    char path[HM_VFS_PATH_MAX];
    int type;
    uint64_t size;
    hm_handle_t driver;   /* device: the driver's endpoint (SEND) */
    uint8_t *data;        /* /tmp file contents */
};

static struct node nodes[MAX_NODES];
static int nnodes;
static struct hm_ipc_buf buf;

static struct node *lookup(const char *path)
{
    for (int i = 0; i < nnodes; i++)
        if (!strcmp(nodes[i].path, path))
            return &nodes[i];
    return NULL;
}

static struct node *add(const char *path, int type, uint64_t size)
{
    if (nnodes == MAX_NODES)
        return NULL;
    struct node *n = &nodes[nnodes++];
    snprintf(n->path, sizeof n->path, "%s", path);
    n->type = type;
    n->size = size;
    n->driver = HM_HANDLE_INVALID;
    return n;
}

/* the path in the buffer: present, NUL-terminated, absolute, no empty or dot components */
static int get_path(uint64_t tag, char *path)
{
    if (HM_TAG_NWORDS(tag) < 1)
        return EINVAL;
    size_t n = HM_TAG_NWORDS(tag) * 8 < HM_VFS_PATH_MAX ? HM_TAG_NWORDS(tag) * 8 : HM_VFS_PATH_MAX;
    memcpy(path, buf.words, n);
    if (!memchr(path, 0, n) || path[0] != '/' || strstr(path, "//") || strstr(path, "/./") ||
        strstr(path, "/../"))
        return EINVAL;
    size_t l = strlen(path);
    if ((l >= 2 && !strcmp(path + l - 2, "/.")) || (l >= 3 && !strcmp(path + l - 3, "/..")))
        return EINVAL;
    if (l > 1 && path[l - 1] == '/')
        path[l - 1] = 0;
    return 0;
}

/* the i-th entry directly under dir */
static struct node *child(const char *dir, uint64_t index)
{
    size_t dl = strlen(dir);
    uint64_t k = 0;
    for (int i = 0; i < nnodes; i++) {
        const char *p = nodes[i].path;
        if (strncmp(p, dir, dl) || (dl > 1 && p[dl] != '/') || !p[dl] || !strcmp(p, dir))
            continue;
        const char *rest = p + dl + (dl > 1);
        if (!*rest || strchr(rest, '/'))
            continue;
        if (k++ == index)
            return &nodes[i];
    }
    return NULL;
}

static int tmp_write(const char *path, uint64_t off, uint64_t len, const uint8_t *data)
{
    if (strncmp(path, "/tmp/", 5) || strchr(path + 5, '/'))
        return lookup(path) ? EROFS : EACCES;
    struct node *n = lookup(path);
    if (n && n->type != HM_VFS_FILE)
        return EROFS;
    if (off > TMP_FILE_MAX || len > TMP_FILE_MAX - off)
        return ENOSPC;
    if (!n && !(n = add(path, HM_VFS_FILE, 0)))
        return ENOSPC;
    if (!n->data && !(n->data = calloc(1, TMP_FILE_MAX)))
        return ENOSPC;
    memcpy(n->data + off, data, len);
    if (off + len > n->size)
        n->size = off + len;
    return 0;
}

int main(void)
{
    hm_handle_t ep = hm_start_handle("vfs");
    if (ep < 0) {
        printf("vfs: no endpoint handle\n");
        return 1;
    }
    add("/", HM_VFS_DIR, 0);
    add("/dev", HM_VFS_DIR, 0);
    add("/tmp", HM_VFS_DIR, 0);
    add("/dev/zero", HM_VFS_ZERO, 0);
    hm_ipc_buf_set(&buf);
    struct hm_msg m = {0};
    long r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
    for (;;) {
        if (r < 0) {
            r = hm_recv(ep, &m, HM_DEADLINE_NEVER);
            continue;
        }
        uint32_t label = HM_TAG_LABEL(m.tag);
        hm_handle_t in_h = HM_TAG_NHANDLES(m.tag) ? buf.handles[0] : HM_HANDLE_INVALID;
        for (unsigned i = 1; i < HM_TAG_NHANDLES(m.tag); i++)
            hm_handle_close(buf.handles[i]);
        char path[HM_VFS_PATH_MAX];
        int st = get_path(m.tag, path);
        unsigned nw = 0, nh = 0;
        struct node *n = st ? NULL : lookup(path);
        if (st) {
            /* malformed: EINVAL */
        } else if (label == HM_VFS_REGISTER) {
            struct hm_handle_info hi;
            if (m.badge != HM_VFS_BADGE_DM || in_h < 0 || strncmp(path, "/dev/", 5))
                st = EACCES;
            else if (hm_handle_info(in_h, &hi) < 0 || hi.type != HM_OBJ_EP ||
                     (hi.rights & (HM_R_SEND | HM_R_GRANT | HM_R_DUP)) != (HM_R_SEND | HM_R_GRANT | HM_R_DUP))
                st = EINVAL;   /* vfs hands out send-only copies of it: it needs these rights */
            else if (m.w[2] == HM_VFS_REPLACE) {
                if (!n || n->type != (int)m.w[0]) {
                    st = ENOENT;
                } else {
                    /* its driver was restarted: opens from now on reach the
                     * new one; sessions on the old endpoint fail (closed) */
                    hm_handle_close(n->driver);
                    n->driver = in_h;
                    in_h = HM_HANDLE_INVALID;
                    n->size = m.w[1];
                    printf("vfs: %s registered again (its driver restarted)\n", path);
                }
            } else if (n)
                st = EEXIST;
            else if (!(n = add(path, (int)m.w[0], m.w[1])))
                st = ENOSPC;
            else {
                n->driver = in_h;
                in_h = HM_HANDLE_INVALID;
                printf("vfs: %s registered\n", path);
            }
        } else if (label == HM_VFS_RESIZE) {
            if (m.badge != HM_VFS_BADGE_DM)
                st = EACCES;
            else if (!n || n->type != HM_VFS_BLK)
                st = ENOENT;
            else if (n->size != m.w[1]) {
                printf("vfs: %s is now %lu bytes (was %lu)\n", path, (unsigned long)m.w[1], (unsigned long)n->size);
                n->size = m.w[1];
            }
        } else if (label == HM_VFS_OPEN || label == HM_VFS_STAT) {
            if (!n) {
                st = ENOENT;
            } else {
                m.w[0] = (uint64_t)n->type;
                m.w[1] = n->size;
                if (label == HM_VFS_OPEN && n->type == HM_VFS_BLK) {
                    /* a direct line to the driver, without the right to duplicate it
                     * (so a client cannot mint the driver's session badges) */
                    long h = hm_handle_dup(n->driver, HM_R_SEND | HM_R_GRANT, 0);
                    if (h < 0) {
                        st = EIO;
                    } else {
                        buf.handles[0] = (hm_handle_t)h;
                        nh = 1;
                    }
                }
            }
        } else if (label == HM_VFS_IOCTL) {
            if (!n)
                st = ENOENT;
            else if (n->driver < 0)
                st = ENOTTY;
            else {
                /* routed: the driver answers, vfs passes the answer on */
                struct hm_msg d = { .tag = HM_TAG(HM_BLK_IOCTL, 0, 0), .w = { m.w[0], m.w[1] } };
                if (hm_call(n->driver, &d) < 0)
                    st = EIO;
                else {
                    st = (int)HM_TAG_LABEL(d.tag);
                    memcpy(m.w, d.w, sizeof m.w);
                }
            }
        } else if (label == HM_VFS_READDIR) {
            struct node *c = n && n->type == HM_VFS_DIR ? child(path, m.w[0]) : NULL;
            if (!n)
                st = ENOENT;
            else if (n->type != HM_VFS_DIR)
                st = ENOTDIR;
            else if (!c)
                st = ENOENT;
            else {
                const char *name = strrchr(c->path, '/') + 1;
                memset(buf.words, 0, HM_VFS_PATH_MAX);
                snprintf((char *)buf.words, HM_VFS_PATH_MAX, "%s", name);
                nw = HM_VFS_PATH_WORDS;
                m.w[0] = (uint64_t)c->type;
                m.w[1] = c->size;
            }
        } else if (label == HM_VFS_READ) {
            uint64_t off = m.w[0], len = m.w[1];
            if (!n)
                st = ENOENT;
            else if (n->type != HM_VFS_FILE)
                st = EINVAL;
            else if (len > HM_VFS_IO_MAX)
                st = EINVAL;
            else {
                uint64_t got = off >= n->size ? 0 : (n->size - off < len ? n->size - off : len);
                memcpy((uint8_t *)buf.words + HM_VFS_PATH_MAX, n->data + off, got);
                m.w[0] = got;
                nw = HM_VFS_PATH_WORDS + (unsigned)((got + 7) / 8);
            }
        } else if (label == HM_VFS_WRITE) {
            uint64_t len = m.w[1];
            if (len > HM_VFS_IO_MAX || HM_TAG_NWORDS(m.tag) * 8 < HM_VFS_PATH_MAX + len)
                st = EINVAL;
            else if (!(st = tmp_write(path, m.w[0], len, (uint8_t *)buf.words + HM_VFS_PATH_MAX)))
                m.w[0] = len;
        } else {
            st = EINVAL;
        }
        if (in_h >= 0)
            hm_handle_close(in_h);
        m.tag = HM_TAG((uint32_t)st, st ? 0 : nw, st ? 0 : nh) | (nh && !st ? HM_TAG_MOVE : 0);
        r = hm_reply_recv(ep, &m);
    }
}
