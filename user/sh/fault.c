/* Fault injection from the shell (docs/reliability.md): the fault
 * command, and the helpers faultstress shares with it. */
#include "sh.h"
#include <hm/dmclient.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sh_ct_state(const char *name, uint64_t *state, uint64_t *restarts, char node[16])
{
    int found = -1;
    node[0] = 0;
    for (uint64_t i = 0;; i++) {
        struct hm_dm_row row;
        if (hm_dm_lsdev(sh_dm, &sh_buf, i, &row))
            return found;
        if (strcmp(row.dev.container, name))
            continue;
        *state = row.state;
        *restarts = row.restarts;
        /* the first block device's node: the one a read is timed on */
        struct hm_msg m = {0};
        char path[24];
        snprintf(path, sizeof path, "/dev/%.15s", row.dev.node);
        if (!node[0] && row.dev.node[0] && !vfs_req(HM_VFS_STAT, path, &m, 0) && m.w[0] == HM_VFS_BLK)
            memcpy(node, row.dev.node, 16);
        found = 0;
    }
}

const char *sh_fault_error(int err)
{
    return err == -EAGAIN ? "not running"
         : err == -ENOTSUP ? "it has no injection points for that (a native driver; linkreset: no UFS twin there)"
         : strerror(-err);
}

/* fault CONTAINER kill: devmgr stops the container (its devices reset) and
 * micro-reboots it; we wait until it is running again and say how long
 * that took (docs/reliability.md) */
int cmd_fault(int argc, char **argv)
{
    /* options: --after MS (kill), --at N and --seed S (crash, hang) */
    uint64_t after = 0, at = 0, seed = 0, kind = 0;
    int bad = argc < 3 || (argc - 3) % 2 || strlen(argv[1]) >= HM_DM_CT_NAME_MAX;
    if (!bad)
        kind = !strcmp(argv[2], "kill") ? HM_DM_FAULT_KILL : !strcmp(argv[2], "crash") ? HM_DM_FAULT_CRASH
             : !strcmp(argv[2], "hang") ? HM_DM_FAULT_HANG : !strcmp(argv[2], "linkreset") ? HM_DM_FAULT_LINKRESET : 0;
    for (int i = 3; !bad && i + 1 < argc; i += 2) {
        char *end;
        uint64_t v = strtoull(argv[i + 1], &end, 10);
        bad = *end || !*argv[i + 1];
        if (kind == HM_DM_FAULT_LINKRESET)
            bad = 1;   /* no options */
        else if (!strcmp(argv[i], "--after") && kind == HM_DM_FAULT_KILL)
            after = v;
        else if (!strcmp(argv[i], "--at") && kind != HM_DM_FAULT_KILL)
            at = v;
        else if (!strcmp(argv[i], "--seed") && kind != HM_DM_FAULT_KILL)
            seed = v;
        else
            bad = 1;
    }
    if (bad || !kind) {
        printf("usage: fault CONTAINER kill [--after MS] | crash|hang [--at N] [--seed S] | linkreset\n");
        return 1;
    }
    if (sh_dm < 0) {
        printf("sh: fault: no device manager\n");
        return 1;
    }
    /* a kill now: recovery as a client sees it, through a session opened
     * before the fault (it rides through the restart: blkclient.c; with a
     * twin it is the twin's and goes on) */
    uint64_t state = HM_DM_RESTARTING, before, restarts = 0;
    char node[16] = "", path[24] = "", blk[512];
    struct file f;
    int open = 0;
    if (kind == HM_DM_FAULT_KILL && !after && !sh_ct_state(argv[1], &state, &restarts, node) && node[0]) {
        snprintf(path, sizeof path, "/dev/%s", node);
        open = !f_open(&f, path);
    }
    uint64_t t0 = hm_now();
    int st = hm_dm_fault(sh_dm, &sh_buf, argv[1], kind, kind == HM_DM_FAULT_KILL ? after : at, seed, &before);
    if (st) {
        printf("sh: fault: %s: %s\n", argv[1], sh_fault_error(st));
        if (open)
            f_close(&f);
        return 1;
    }
    if (kind == HM_DM_FAULT_LINKRESET) {
        printf("fault: %s: link recovery started (its log says how it went)\n", argv[1]);
        return 0;
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
    /* read its first block over and over until it runs again: the first
     * read served, and the longest any read waited */
    uint64_t first = 0, longest = 0, reads = 0;
    int failed_read = 0;
    restarts = before;
    while (hm_now() - t0 < hm_ms(20000)) {
        if (open) {
            uint64_t t = hm_now();
            long n = f_pread(&f, blk, sizeof blk, 0);
            if (n != (long)sizeof blk) {
                /* EIO once devmgr gave up: said below */
                printf("sh: fault: %s: a read after the fault: %s\n", path, strerror(n < 0 ? (int)-n : EIO));
                f_close(&f);
                open = 0;
                failed_read = 1;
                continue;
            }
            first = first ? first : hm_now() - t0;
            longest = hm_now() - t > longest ? hm_now() - t : longest;
            reads++;
        }
        if (sh_ct_state(argv[1], &state, &restarts, node) < 0)
            break;
        if (restarts > before && (state == HM_DM_RUNNING || state == HM_DM_FAILED))
            break;
        if (state == HM_DM_FAILED)
            break;
        hm_sleep_until(hm_deadline_ms(open ? 1 : 5));
    }
    if (open)
        f_close(&f);
    unsigned long ms = (unsigned long)((hm_now() - t0) * 1000 / hm_time_freq());
    if (restarts > before && state == HM_DM_RUNNING) {
        printf("fault: %s running again after %lu ms (restart %lu)\n", argv[1], ms, (unsigned long)restarts);
        if (failed_read)
            return 1;
        if (open)
            printf("fault: %s: first request served %lu ms after the fault; the longest of %lu reads until %s "
                   "ran again waited %lu ms\n", path, (unsigned long)(first * 1000 / hm_time_freq()),
                   (unsigned long)reads, argv[1], (unsigned long)(longest * 1000 / hm_time_freq()));
        return 0;
    }
    printf("sh: fault: %s is not running again after %lu ms (%s)\n", argv[1], ms,
           state == HM_DM_FAILED ? "devmgr gave up" : "still restarting");
    return 1;
}

