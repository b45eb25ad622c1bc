/* The shell's view of a path: a vfs node it can read and write at any byte
 * offset (block devices through a session with read-modify-write at the
 * edges, /tmp files through vfs, /dev/zero locally), or a character device
 * it reads and writes as a stream (offsets are ignored, as a pipe's). */
#ifndef SH_FILE_H
#define SH_FILE_H
#include <hm/blkclient.h>
#include <hm/chrclient.h>
#include <hm/vfs.h>

struct file {
    char path[HM_VFS_PATH_MAX];
    int type;
    uint64_t size;
    struct hm_blk_client blk;
    struct hm_chr_file chr;
};

extern hm_handle_t sh_vfs;
extern struct hm_ipc_buf sh_buf;       /* the main thread's IPC buffer */
extern __thread struct hm_ipc_buf *f_ipc;   /* another thread's, if it registered its own */

int f_open(struct file *f, const char *path);                       /* 0 or -errno */
/* the same with open flags for a character device (HM_CHR_O_*; f_open: read-only) */
int f_open_flags(struct file *f, const char *path, int chr_flags);
long f_pread(struct file *f, void *buf, uint64_t len, uint64_t off);  /* bytes (0 at end) or -errno */
long f_pwrite(struct file *f, const void *buf, uint64_t len, uint64_t off);
void f_close(struct file *f);
/* hm_blk_client.reconnect for a session opened from a struct file (reconnect_arg) */
int f_blk_reconnect(struct hm_blk_client *c, hm_handle_t *ep);
/* one vfs request about path: 0, its status as -errno, or -EIO if vfs is unreachable */
int vfs_req(uint32_t op, const char *path, struct hm_msg *m, unsigned extra_words);
#endif
