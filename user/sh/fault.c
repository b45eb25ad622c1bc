/* Fault injection from the shell (docs/reliability.md): the fault
 * command, and the helpers faultstress shares with it. */
#include "sh.h"
#include <hm/dm.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sh_ct_state(const char *name, uint64_t *state, uint64_t *restarts, char node[16])
{
    int found = -1;
    node[0] = 0;
    for (uint64_t i = 0;; i++) {
        uint64_t st, rs;
        char ct[16], nd[16];
        if (dm_lsdev_node(i, &st, ct, &rs, nd))
            return found;
        if (strcmp(ct, name))
            continue;
        *state = st;
        *restarts = rs;
        if (!node[0])
            memcpy(node, nd, 16);
        found = 0;
    }
}

int sh_fault_arm(const char *name, uint64_t kind, uint64_t arg, uint64_t seed, uint64_t *restarts)
{
    if (strlen(name) >= 16)
        return ENOENT;
    memset(sh_buf.words, 0, 16);
    memcpy(sh_buf.words, name, strlen(name) + 1);
    struct hm_msg m = { .tag = HM_TAG(HM_DM_FAULT, 2, 0), .w = { kind, arg, seed } };
    long r = hm_call(sh_dm, &m);
    int st = r < 0 ? EIO : (int)HM_TAG_LABEL(m.tag);
    if (!st)
        *restarts = m.w[0];
    return st;
}

const char *sh_fault_error(int err)
{
    return err == EAGAIN ? "not running"
         : err == ENOTSUP ? "it has no injection points for that (a native driver)" : strerror(err);
}

/* fault CONTAINER kill: devmgr stops the container (its devices reset) and
 * micro-reboots it; we wait until it is running again and say how long
 * that took (docs/reliability.md) */
int cmd_fault(int argc, char **argv)
{
    /* options: --after MS (kill), --at N and --seed S (crash, hang) */
    uint64_t after = 0, at = 0, seed = 0, kind = 0;
    int bad = argc < 3 || (argc - 3) % 2 || strlen(argv[1]) >= 16;
    if (!bad)
        kind = !strcmp(argv[2], "kill") ? HM_DM_FAULT_KILL : !strcmp(argv[2], "crash") ? HM_DM_FAULT_CRASH
             : !strcmp(argv[2], "hang") ? HM_DM_FAULT_HANG : 0;
    for (int i = 3; !bad && i + 1 < argc; i += 2) {
        char *end;
        uint64_t v = strtoull(argv[i + 1], &end, 10);
        bad = *end || !*argv[i + 1];
        if (!strcmp(argv[i], "--after") && kind == HM_DM_FAULT_KILL)
            after = v;
        else if (!strcmp(argv[i], "--at") && kind != HM_DM_FAULT_KILL)
            at = v;
        else if (!strcmp(argv[i], "--seed") && kind != HM_DM_FAULT_KILL)
            seed = v;
        else
            bad = 1;
    }
    if (bad || !kind) {
        printf("usage: fault CONTAINER kill [--after MS] | crash|hang [--at N] [--seed S]\n");
        return 1;
    }
    if (sh_dm < 0) {
        printf("sh: fault: no device manager\n");
        return 1;
    }
    uint64_t t0 = hm_now(), state = HM_DM_RESTARTING, before;
    int st = sh_fault_arm(argv[1], kind, kind == HM_DM_FAULT_KILL ? after : at, seed, &before);
    if (st) {
        printf("sh: fault: %s: %s\n", argv[1], sh_fault_error(st));
        return 1;
    }
    if (kind != HM_DM_FAULT_KILL) {
        printf("fault: %s: %s armed (%s%s); devmgr restarts it when it fires\n", argv[1], argv[2],
               at || seed ? "" : kind == HM_DM_FAULT_HANG ? "now" : "at its next request",
               at || seed ? "at the request or point given" : "");
        return 0;
    }
    if (after) {
        /* for a fault while I/O is in flight: the next command runs meanwhile */
        printf("fault: %s will be killed in %lu ms\n", argv[1], (unsigned long)after);
        return 0;
    }
    printf("fault: %s killed\n", argv[1]);
    uint64_t restarts = before;
    char node[16];
    while (hm_now() - t0 < hm_ms(20000)) {
        if (sh_ct_state(argv[1], &state, &restarts, node) < 0)
            break;
        if (restarts > before && (state == HM_DM_RUNNING || state == HM_DM_FAILED))
            break;
        if (state == HM_DM_FAILED)
            break;
        hm_sleep_until(hm_deadline_ms(5));
    }
    unsigned long ms = (unsigned long)((hm_now() - t0) * 1000 / hm_time_freq());
    if (restarts > before && state == HM_DM_RUNNING) {
        printf("fault: %s running again after %lu ms (restart %lu)\n", argv[1], ms, (unsigned long)restarts);
        if (!node[0])
            return 0;
        /* recovery as a client sees it: the fault to a first request served */
        char path[24], blk[512];
        struct file f;
        snprintf(path, sizeof path, "/dev/%s", node);
        int st = f_open(&f, path);
        long n = st ? -st : f_pread(&f, blk, sizeof blk, 0);
        if (!st)
            f_close(&f);
        ms = (unsigned long)((hm_now() - t0) * 1000 / hm_time_freq());
        if (n != (long)sizeof blk) {
            printf("sh: fault: %s: first read after the restart: %s\n", path, strerror(n < 0 ? (int)-n : EIO));
            return 1;
        }
        printf("fault: %s: first request served %lu ms after the fault\n", path, ms);
        return 0;
    }
    printf("sh: fault: %s is not running again after %lu ms (%s)\n", argv[1], ms,
           state == HM_DM_FAILED ? "devmgr gave up" : "still restarting");
    return 1;
}

