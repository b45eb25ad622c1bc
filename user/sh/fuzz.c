/*
 * fuzz [--seed S] [--calls N] [TARGET...]: a seeded, reproducible fuzzer of
 * the services' IPC surfaces (docs/reliability.md "Fuzzing").
 *
 * TARGETs: "sys" (system calls: fuzz_sys.c), "dm" (devmgr, through the
 * shell's client handle: no fault right), "vfs", and any /dev node (its driver: DC-base, ndc, a twin;
 * "/dev" alone: every node but watchdogs, which an open that succeeds by
 * chance would arm). Default: dm, vfs, /dev and sys. Each call sends one
 * target a random or mutated message: a label of the caller's own
 * operations, of any protocol, a forged kernel message or a random one;
 * random and chosen words; IPC-buffer words that are names and paths the
 * services know, mutated, or noise; 0-4 handles of every type (endpoint,
 * notification, contiguous and anonymous memory, a process) with random
 * rights, or handle numbers that name nothing; copied or moved. The rules
 * each answer is checked against (fuzz_call.c):
 *   - a label the caller may not ask is never answered 0; within the
 *     target's own protocol it is EPERM (the server's caller check);
 *   - an answer is a status (never a request label) and a refusal carries
 *     no handles;
 *   - a service answers or refuses, it never dies: a call that finds the
 *     server gone (ECLOSED), a container restarted while the fuzzer ran,
 *     or devmgr or vfs not answering afterwards is a crash.
 * A well-formed session (HM_BLK_ATTACH with fitting memory) is detached
 * again at once. One disk call in 32 is a hostile client's session instead
 * (fuzz_blk.c). Nothing changes a disk's bytes (vfs may be left /tmp
 * files: it has no unlink). Prints
 * "fuzz: N calls, M refused, K crashes" and, if any, the broken rules.
 */
#include "sh.h"
#include "fuzz.h"
#include <hm/dmclient.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fz_seed_state;

uint64_t fz_rand(void)
{
    /* xorshift64*: the same seed gives the same calls */
    uint64_t x = fz_seed_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fz_seed_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

void fz_broke(struct fz_run *run, const char *fmt, ...)
{
    if (run->broken++ >= FZ_BROKEN_SHOWN)
        return;   /* counted, not shown */
    va_list ap;
    va_start(ap, fmt);
    printf("fuzz: rule broken: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* the sum of every container's restart count, and how many devices are
 * failed: what a fuzz run must leave as it found them */
static int containers_now(uint64_t *restarts, uint64_t *failed)
{
    *restarts = *failed = 0;
    for (uint64_t i = 0;; i++) {
        struct hm_dm_row row;
        int st = hm_dm_lsdev(sh_dm, &sh_buf, i, &row);
        if (st == -ENOENT)
            return 0;
        if (st)
            return st;
        *restarts += row.restarts;
        *failed += row.state == HM_DM_FAILED;
    }
}

static int usage(void)
{
    printf("usage: fuzz [--seed S] [--calls N] [sys|dm|vfs|/dev|/dev/NODE ...]\n");
    return 1;
}

int cmd_fuzz(int argc, char **argv)
{
    uint64_t seed = 1, calls = 10000;
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        char *end;
        uint64_t v = strtoull(argv[i + 1], &end, 10);
        if (*end || !*argv[i + 1])
            return usage();
        if (!strcmp(argv[i], "--seed"))
            seed = v;
        else if (!strcmp(argv[i], "--calls") && v && v <= 100000000)
            calls = v;
        else
            return usage();
    }
    if (i < argc && argv[i][0] == '-')
        return usage();
    if (sh_dm < 0 || sh_vfs < 0) {
        printf("sh: fuzz: needs the device manager and vfs\n");
        return 1;
    }
    struct fz_run run;
    int st = fz_setup(&run, argc - i, argv + i);
    if (st) {
        printf("sh: fuzz: %s\n", st == -ENOENT ? "no such target" : strerror(-st));
        fz_teardown(&run);
        return 1;
    }
    uint64_t restarts0, failed0, restarts1 = 0, failed1 = 0;
    if (containers_now(&restarts0, &failed0)) {
        printf("sh: fuzz: the device manager does not answer\n");
        fz_teardown(&run);
        return 1;
    }
    fz_seed_state = seed ^ 0x5eed5eed5eed5eedull;   /* xorshift needs a state other than 0 */
    if (!fz_seed_state)
        fz_seed_state = 1;
    printf("fuzz: seed %lu, %lu calls over %d targets\n", (unsigned long)seed, (unsigned long)calls, run.ntargets);
    uint64_t t0 = hm_now();
    for (uint64_t n = 0; n < calls; n++)
        fz_one_call(&run, &run.targets[fz_rand() % (uint64_t)run.ntargets]);
    uint64_t ms = (hm_now() - t0) / hm_ms(1);
    /* a container that died of what it was sent was restarted by devmgr */
    int dm_st = containers_now(&restarts1, &failed1);
    struct hm_msg m = {0};
    int vfs_st = vfs_req(HM_VFS_STAT, "/", &m, 0);
    uint64_t crashes = 0, refused = 0, ncalls = 0;
    for (int t = 0; t < run.ntargets; t++) {
        struct fz_target *tg = &run.targets[t];
        printf("fuzz: %s: %lu calls, %lu refused%s\n", tg->name, (unsigned long)tg->calls, (unsigned long)tg->refused,
               tg->crashes ? ", server gone" : "");
        crashes += tg->crashes;
        refused += tg->refused;
        ncalls += tg->calls;
    }
    if (dm_st || vfs_st) {
        printf("fuzz: crash: %s does not answer any more\n", dm_st ? "devmgr" : "vfs");
        crashes++;
    } else if (restarts1 != restarts0 || failed1 != failed0) {
        printf("fuzz: crash: containers restarted %lu times while it ran (%lu failed)\n",
               (unsigned long)(restarts1 - restarts0), (unsigned long)failed1);
        crashes += restarts1 - restarts0 + (failed1 - failed0);
    }
    printf("fuzz: %lu calls, %lu refused, %lu crashes (%lu ms)\n", (unsigned long)ncalls, (unsigned long)refused,
           (unsigned long)crashes, (unsigned long)ms);
    if (run.sessions)
        printf("fuzz: %lu sessions attached, fuzzed and detached\n", (unsigned long)run.sessions);
    if (run.hostile)
        printf("fuzz: %lu hostile block clients (bad, overlapping and changed requests, corrupt indexes), "
               "%lu of them gone with requests in flight\n", (unsigned long)run.hostile, (unsigned long)run.abandoned);
    if (run.broken)
        printf("fuzz: %lu answers broke the rules\n", (unsigned long)run.broken);
    fz_teardown(&run);
    return crashes || run.broken;
}
