/* Byte-granular access to vfs nodes for the shell's tools (see file.h). */
#include "file.h"
#include <errno.h>
#include <string.h>


hm_handle_t sh_vfs = HM_HANDLE_INVALID;
struct hm_ipc_buf sh_buf;
__thread struct hm_ipc_buf *f_ipc;

/* the IPC buffer registered for the calling thread */
static struct hm_ipc_buf *ipc(void) { return f_ipc ? f_ipc : &sh_buf; }

int vfs_req(uint32_t op, const char *path, struct hm_msg *m, unsigned extra_words)
{
    struct hm_ipc_buf *b = ipc();
    memset(b->words, 0, HM_VFS_PATH_MAX);
    if (strlen(path) >= HM_VFS_PATH_MAX)
        return -ENAMETOOLONG;
    strcpy((char *)b->words, path);
    m->tag = HM_TAG(op, HM_VFS_PATH_WORDS + extra_words, 0);
    if (sh_vfs < 0 || hm_call(sh_vfs, m) < 0)
        return -EIO;
    return -(int)HM_TAG_LABEL(m->tag);
}

int f_open(struct file *f, const char *path)
{
    return f_open_flags(f, path, HM_CHR_O_RDONLY);
}

int f_open_flags(struct file *f, const char *path, int chr_flags)
{
    memset(f, 0, sizeof *f);
    struct hm_msg m = {0};
    uint64_t give_up = hm_deadline_ms(10000);
again:;
    int st = vfs_req(HM_VFS_OPEN, path, &m, 0);
    if (st)
        return st;
    strcpy(f->path, path);
    f->type = (int)m.w[0];
    f->size = m.w[1];
    if (f->type == HM_VFS_DIR)
        return -EISDIR;
    if (f->type == HM_VFS_CHR) {
        if (HM_TAG_NHANDLES(m.tag) != 1)
            return -EIO;
        hm_handle_t ep = ipc()->handles[0];
        int r = hm_chr_open(&f->chr, ep, chr_flags, ipc());
        hm_handle_close(ep);
        return r;
    }
    if (f->type == HM_VFS_BLK) {
        if (HM_TAG_NHANDLES(m.tag) != 1)
            return -EIO;
        hm_handle_t ep = ipc()->handles[0];
        int r = hm_blk_open(&f->blk, ep, 16, HM_BLK_BYTES_WINDOW, ipc());
        if (r == -EPIPE && hm_now() < give_up) {
            /* its driver stopped: vfs hands out the restarted one's endpoint
             * once it has registered again (as f_blk_reconnect) */
            hm_blk_close(&f->blk);
            hm_handle_close(ep);
            hm_sleep_until(hm_deadline_ms(HM_BLK_PROBE_MS));
            goto again;
        }
        if (r)
            return r == -EPIPE ? -EIO : r;
        f->size = f->blk.size;
        f->blk.reconnect = f_blk_reconnect;
        f->blk.reconnect_arg = f;
    }
    return 0;
}

/* the block driver behind a session restarted (blkclient.h): open the
 * node again; vfs hands out the restarted driver's endpoint once it has
 * registered (before that, the old one, which the client finds closed and
 * asks again). reconnect_arg is the struct file. */
int f_blk_reconnect(struct hm_blk_client *c, hm_handle_t *ep)
{
    const struct file *f = c->reconnect_arg;
    struct hm_msg m = {0};
    int st = vfs_req(HM_VFS_OPEN, f->path, &m, 0);
    if (st)
        return st;
    if (HM_TAG_NHANDLES(m.tag) != 1)
        return -EIO;
    *ep = ipc()->handles[0];
    return 0;
}

long f_pread(struct file *f, void *buf, uint64_t len, uint64_t off)
{
    if (f->type == HM_VFS_ZERO) {
        memset(buf, 0, len);
        return (long)len;
    }
    if (f->type == HM_VFS_BLK)
        return hm_blk_pread(&f->blk, buf, len, off);
    if (f->type == HM_VFS_CHR) {
        /* a stream: calls until len, or until one returns less (the
         * device had no more for now), as read(2) on a tty or pipe */
        uint64_t done = 0;
        while (done < len) {
            size_t want = len - done < HM_CHR_DATA_MAX ? (size_t)(len - done) : HM_CHR_DATA_MAX;
            long n = hm_chr_read(&f->chr, (uint8_t *)buf + done, want);
            if (n < 0)
                return done ? (long)done : n;
            done += (uint64_t)n;
            if ((size_t)n < want)
                break;
        }
        return (long)done;
    }
    if (off >= f->size)
        return 0;
    if (len > f->size - off)
        len = f->size - off;   /* a short read at the end, as read(2) */
    uint64_t done = 0;
    while (done < len) {
        struct hm_msg m = { .w = { off + done, len - done < HM_VFS_IO_MAX ? len - done : HM_VFS_IO_MAX } };
        int st = vfs_req(HM_VFS_READ, f->path, &m, 0);
        if (st)
            return st;
        if (m.w[0] == 0)
            break;
        memcpy((uint8_t *)buf + done, (uint8_t *)ipc()->words + HM_VFS_PATH_MAX, m.w[0]);
        done += m.w[0];
    }
    return (long)done;
}

long f_pwrite(struct file *f, const void *buf, uint64_t len, uint64_t off)
{
    if (f->type == HM_VFS_ZERO)
        return (long)len;
    if (f->type == HM_VFS_BLK)
        return hm_blk_pwrite(&f->blk, buf, len, off);
    if (f->type == HM_VFS_CHR)
        return hm_chr_write(&f->chr, buf, len);
    uint64_t done = 0;
    while (done < len) {
        uint64_t n = len - done < HM_VFS_IO_MAX ? len - done : HM_VFS_IO_MAX;
        struct hm_msg m = { .w = { off + done, n } };
        struct hm_ipc_buf *b = ipc();
        memset(b->words, 0, sizeof b->words);
        memcpy((uint8_t *)b->words + HM_VFS_PATH_MAX, (const uint8_t *)buf + done, n);
        strcpy((char *)b->words, f->path);
        m.tag = HM_TAG(HM_VFS_WRITE, HM_VFS_PATH_WORDS + (unsigned)((n + 7) / 8), 0);
        if (sh_vfs < 0 || hm_call(sh_vfs, &m) < 0)
            return done ? (long)done : -EIO;
        if (HM_TAG_LABEL(m.tag))
            return done ? (long)done : -(long)HM_TAG_LABEL(m.tag);
        done += n;
    }
    if (off + len > f->size)
        f->size = off + len;
    return (long)done;
}

void f_close(struct file *f)
{
    if (f->type == HM_VFS_BLK && f->blk.sh) {
        hm_handle_t session = f->blk.ep;
        hm_blk_close(&f->blk);
        hm_handle_close(session);
    }
    if (f->type == HM_VFS_CHR)
        hm_chr_close(&f->chr);
    f->type = 0;
}
