/* faultstress's workload (fs_work.c): a thread per device keeps LANES
 * requests in flight and checks every read against what was written;
 * faultstress.c injects the faults (see its comment). */
#ifndef SH_FS_WORK_H
#define SH_FS_WORK_H
#include "sh.h"

#define LANES 4
#define MAX_BLOCKS 16                  /* a request: 1..16 blocks of 4 KiB */
#define SPAN (2u << 20)                /* bytes of each device the workload covers */
#define LANE_BYTES (SPAN / LANES)
#define LANE_DATA (MAX_BLOCKS * 4096)  /* each lane's part of the session's data area */
#define WAIT_MS 30000                  /* a request not back after this: failure */

struct op {
    int write;
    uint64_t off, fill;
    uint32_t len;
};

struct lane {
    uint64_t rng, n;   /* n: requests completed (and generated) */
    struct op op;
    int busy;
};

struct worker {
    const char *dev;   /* as given: "/dev/vda", "/dev/vda@10" */
    char path[32];     /* what is opened: "/dev/vda" */
    uint64_t base;     /* the workload's first byte on the device (@MIB) */
    struct file f;
    struct hm_ipc_buf buf;
    struct hm_thread t;
    uint8_t *shadow;   /* what the first SPAN bytes must hold */
    hm_handle_t shadow_mem;
    struct lane lane[LANES];
    uint64_t reads, writes;
    int opened, started, stop, finished, err;
    char why[96];
};

uint64_t fs_next(uint64_t *s);   /* splitmix64: the host replays it */
void *fs_worker_main(void *arg);   /* the worker thread: runs until stop, or a failure */
/* open dev ("PATH" or "PATH@MIB": the span starts MIB MiB in), read what
 * its span holds now, set the lanes' PRNGs; 0 or -errno (w->why) */
int fs_worker_init(struct worker *w, const char *dev, int index, uint64_t seed);
void fs_worker_free(struct worker *w);
/* after the workload: the device read afresh must hold exactly what was
 * written; prints its line (lanes, counts, sha256). NULL, or why not */
const char *fs_worker_verify(struct worker *w);
#endif
