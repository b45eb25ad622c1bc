/* The shell's IPC fuzzer (fuzz.c: the command; fuzz_call.c: the services
 * as targets, the messages and the rules their answers are checked
 * against; fuzz_blk.c: hostile clients of the disks; fuzz_sys.c: the
 * system calls). */
#ifndef SH_FUZZ_H
#define SH_FUZZ_H
#include <hm/hm.h>

#define FZ_MAX_TARGETS 32
#define FZ_MAX_ALLOWED 8
#define FZ_POOL 5

struct fz_target {
    char name[24];
    hm_handle_t h;              /* the handle calls go through (owned) */
    int kind;                   /* FZ_* */
    uint32_t allowed[FZ_MAX_ALLOWED];   /* the labels this caller may ask */
    unsigned nallowed;
    uint32_t own;               /* its protocol's prefix: a refusal there is EPERM */
    uint64_t calls, refused, crashes;
    int detached;               /* a session: a DETACH of it was answered 0 */
};

enum { FZ_DM, FZ_VFS, FZ_DISK, FZ_CHR, FZ_SYS };

struct fz_run {
    struct fz_target targets[FZ_MAX_TARGETS];
    int ntargets;
    hm_handle_t pool[FZ_POOL];  /* objects of every type, sent as random-rights copies */
    uint64_t broken;            /* answers that broke a rule */
    int sys;                    /* the "sys" target was set up (fuzz_sys.c) */
    uint64_t sessions;          /* block sessions a well-formed ATTACH opened (each detached again) */
    uint64_t hostile;           /* sessions of hostile block clients (fuzz_blk.c) */
    uint64_t abandoned;         /* of them, left as a client that dies leaves them */
};

uint64_t fz_rand(void);                                    /* fuzz.c */
/* an answer broke a rule: counted, and the first FZ_BROKEN_SHOWN printed */
#define FZ_BROKEN_SHOWN 10
void fz_broke(struct fz_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fz_setup(struct fz_run *run, int n, char **names);    /* 0 or -errno */
void fz_teardown(struct fz_run *run);
void fz_one_call(struct fz_run *run, struct fz_target *t);
int cmd_fuzz(int argc, char **argv);
/* fuzz_blk.c: a hostile client's session on a disk target */
void fz_blk_session(struct fz_run *run, struct fz_target *t);
/* fuzz_sys.c: the "sys" target (system calls) */
int fz_sys_setup(void);   /* 0 or -1 */
void fz_sys_teardown(void);
void fz_sys_call(struct fz_run *run, struct fz_target *t);
#endif
