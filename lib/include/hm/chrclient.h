/* Client side of a character device file (hm/chr.h): open, read, write,
 * ioctl, poll and close, each a call into the driver's own file
 * operations. One call at a time per file (one thread uses it). */
#ifndef HM_CHRCLIENT_H
#define HM_CHRCLIENT_H
#include <hm/hm.h>
#include <hm/chr.h>

struct hm_chr_file {
    hm_handle_t file, doorbell, notif, mem;
    struct hm_chr_shared *sh;
    uint8_t *data;            /* the data area, mapped here */
    uint32_t req;             /* the last request's number */
    int woken;                /* a poll wake-up came while waiting for an answer */
    struct hm_ipc_buf *buf;
};

/* While waiting for an answer the client checks every HM_CHR_PROBE_MS
 * that the driver is still there: a file whose driver stopped (its
 * container restarted) answers -EIO from then on. */
#define HM_CHR_PROBE_MS 200

/* Open the node whose driver endpoint vfs handed out (ep; the caller keeps
 * it) with HM_CHR_O_* flags: 0 or a negative errno (the driver's open's,
 * or -EIO if the driver is gone). buf: the calling thread's IPC buffer, or
 * NULL to register one of the library's. */
int hm_chr_open(struct hm_chr_file *f, hm_handle_t ep, int flags, struct hm_ipc_buf *buf);
/* at most HM_CHR_DATA_MAX bytes per call: bytes done or a negative errno */
long hm_chr_read(struct hm_chr_file *f, void *buf, size_t len);
long hm_chr_write(struct hm_chr_file *f, const void *buf, size_t len);
/* cmd's argument (its encoding's _IOC_SIZE bytes at arg, copied in, and
 * back if it reads) or, for commands that take an integer, iarg: the
 * driver's return value or a negative errno */
long hm_chr_ioctl(struct hm_chr_file *f, uint32_t cmd, void *arg, uint64_t iarg);
/* the HM_CHR_POLL* events ready (of those asked, with ERR and HUP), 0
 * when timeout_ms passed first (-1: no limit), or a negative errno. Sleeps
 * until the driver's wait queue wakes. */
int hm_chr_poll(struct hm_chr_file *f, int events, int timeout_ms);
/* the driver releases the file (this returns once its release ran); the
 * handles and memory go */
void hm_chr_close(struct hm_chr_file *f);
/* HM_CHR_STAT on a node's handle or a file's: files open on the node
 * (their release not run yet) */
int hm_chr_stat(hm_handle_t h, uint64_t *open);
#endif
