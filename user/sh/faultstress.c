/*
 * faultstress: a verified read/write workload on block devices while
 * faults of every kind are injected into the containers driving them
 * (docs/reliability.md). Nothing may fail and no byte may be lost.
 *   faultstress [--each N] [--seed S] DEV:CONTAINER[:KIND,...][=M]...
 *   e.g. faultstress --each 50 --seed 1 /dev/vda:ldc0 /dev/mmcblk0:ldc1
 * KINDS: kill, crash, hang (default all three), dma (one of the container's
 * PCI devices, DEV's, writes a canary page of ours: the SMMU must stop it,
 * the canary stay as it was), spin and deadlock (its Linux's block thread
 * loops with interrupts off, or takes a lock it holds: the heartbeat
 * finds them), twin (the twin serving the container's device crashes:
 * twin and container restart together); =M: M faults of each kind
 * into that container instead of N. =0 with a container another DEV names
 * too: that device's workload only; the other's faults reach it (its
 * container's restarts are that target's to check).
 *
 * Workload: fs_work.c (a thread per device, verified I/O, replayed by the
 * host).
 *
 * Faults: the main thread injects N faults of each kind into each
 * container, in an order and with parameters drawn from the seed (kill
 * after 0..199 ms; crash and hang at the 1st..8th request from then, or at
 * a point the seed picks in the request or the completion path), one at a
 * time per container: the next once the container runs again (one restart
 * per fault) and has served HM_DM_REPEAT_WINDOW_MS more, since devmgr takes
 * faults closer together for a crash loop and gives up.
 */
#include "fs_work.h"
#include <hm/dmclient.h>
#include <hm/prio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEVS 4
#define FAULT_LIMIT_MS 20000           /* a fault armed this long ago and not recovered from: failure */

/* the kinds (hm/dm.h), by index: the seed draws indexes; the default is
 * the first three */
static const uint64_t kinds[] = { HM_DM_FAULT_CRASH, HM_DM_FAULT_HANG, HM_DM_FAULT_KILL, HM_DM_FAULT_DMA,
                                  HM_DM_FAULT_SPIN, HM_DM_FAULT_DEADLOCK, HM_DM_FAULT_TWIN };
#define NKINDS 7
#define KIND_DMA 3
#define KINDS_DEFAULT 7

struct target {
    char name[16];
    char disk[16];          /* DEV's name (without @MIB), the disk a dma fault reads */
    int left[NKINDS], done[NKINDS];
    int armed_kind;
    struct sh_canary canary;   /* the armed dma fault's target page */
    int armed, known;
    int shared;                /* injects nothing; another target faults its container */
    uint64_t before, expect;   /* restart counts: before the armed fault; expected now */
    uint64_t armed_at, next_at, worst_ms;
};

static int kinds_left(const struct target *t)
{
    int n = 0;
    for (int k = 0; k < NKINDS; k++)
        n += t->left[k];
    return n;
}

/* the next fault for t, drawn from rng among the kinds left; 0 or -errno */
static int arm(struct target *t, uint64_t *rng)
{
    int total = kinds_left(t);
    int pick = (int)(fs_next(rng) % (uint64_t)total), kind = 0;
    while (pick >= t->left[kind])
        pick -= t->left[kind++];
    uint64_t arg, seed = 0, r = fs_next(rng);
    if (kinds[kind] == HM_DM_FAULT_KILL) {
        arg = r % 200;
    } else if (r & 1) {
        arg = 0;
        seed = 1 + (r >> 1) % 1000000;   /* the container picks path and request from it */
    } else {
        arg = 1 + (r >> 1) % 8;
    }
    int st;
    if (kind == KIND_DMA) {
        st = sh_canary_new(&t->canary, r);
        if (!st && (st = sh_fault_dma(t->name, t->disk, &t->canary, &t->before)))
            sh_canary_free(&t->canary);
    } else {
        st = hm_dm_fault(sh_dm_fault, &sh_buf, t->name, kinds[kind], arg, seed, &t->before);
    }
    if (st)
        return st;
    t->armed_kind = kind;
    t->left[kind]--;
    t->done[kind]++;
    t->armed = 1;
    t->armed_at = hm_now();
    return 0;
}

/* watch t: its fault recovered from (the next is due after the window), or
 * went wrong; 0 or a message */
static const char *watch(struct target *t, uint64_t *rng)
{
    uint64_t state, restarts;
    char node[16];
    if (sh_ct_state(t->name, &state, &restarts, node))
        return "no such container";
    if (state == HM_DM_FAILED)
        return "devmgr gave up on it";
    if (t->shared)
        return NULL;   /* its restarts are another target's faults */
    uint64_t now = hm_now(), ms = (now - t->armed_at) * 1000 / hm_time_freq();
    if (!t->known) {
        t->expect = restarts;
        t->known = 1;
    }
    if (!t->armed)
        return restarts != t->expect ? "restarted with no fault injected" : NULL;
    if (restarts > t->before + 1)
        return "restarted more than once for one fault";
    if (restarts == t->before + 1 && state == HM_DM_RUNNING) {
        if (t->armed_kind == KIND_DMA) {
            int changed = sh_canary_changed(&t->canary);
            sh_canary_free(&t->canary);
            if (changed)
                return "a DMA fault changed the canary page: the write was not stopped";
        }
        t->armed = 0;
        t->expect = restarts;
        t->worst_ms = ms > t->worst_ms ? ms : t->worst_ms;
        t->next_at = now + hm_ms(HM_DM_REPEAT_WINDOW_MS + fs_next(rng) % 250);
        return NULL;
    }
    if (ms > FAULT_LIMIT_MS)
        return "a fault armed 20 s ago has not been recovered from";
    return NULL;
}

static int usage(void)
{
    printf("usage: faultstress [--each N] [--seed S] DEV[@MIB]:CONTAINER[:KIND,...][=M]... (KIND: kill, crash, hang,\n"
           "       dma, spin, deadlock, twin;\n"
           "       M: faults of each kind into that container instead of N; 0: workload only, when another\n"
           "       DEV's faults go into the same container; @MIB: the workload's 2 MiB start MIB MiB into DEV,\n"
           "       so several clients can share one disk)\n");
    return 1;
}

int cmd_faultstress(int argc, char **argv)
{
    uint64_t each = 10, seed = 1;
    int ndev = 0, i;
    static struct worker ws[MAX_DEVS];
    struct target ts[MAX_DEVS];
    for (i = 1; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        char *end;
        uint64_t v = strtoull(argv[i + 1], &end, 10);
        if (*end || !*argv[i + 1])
            return usage();
        if (!strcmp(argv[i], "--each") && v <= 10000)
            each = v;
        else if (!strcmp(argv[i], "--seed"))
            seed = v;
        else
            return usage();
    }
    if (i == argc || argc - i > MAX_DEVS)
        return usage();
    if (sh_no_fault_right("faultstress"))
        return 1;
    memset(ws, 0, sizeof ws);
    memset(ts, 0, sizeof ts);
    const char *why = NULL, *who = NULL, *devs[MAX_DEVS];
    for (; i < argc; i++, ndev++) {
        char *colon = strchr(argv[i], ':'), *list = colon ? strchr(colon + 1, ':') : NULL;
        char *count = colon ? strchr(colon + 1, '=') : NULL;
        uint64_t n = each;
        int mask = KINDS_DEFAULT;
        if (count) {
            char *end;
            *count++ = 0;
            n = strtoull(count, &end, 10);
            if (*end || !*count || n > 10000)
                return usage();
        }
        if (list) {
            *list++ = 0;
            mask = 0;
            for (char *save, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                int j = 0;
                while (j < NKINDS && kinds[j] != hm_dm_fault_kind(k))
                    j++;
                mask |= 1 << j;   /* 1 << NKINDS: no such kind */
            }
        }
        if (!colon || !colon[1] || strlen(colon + 1) >= sizeof ts[0].name || !mask || mask >> NKINDS)
            return usage();
        *colon = 0;
        devs[ndev] = argv[i];
        snprintf(ts[ndev].name, sizeof ts[ndev].name, "%s", colon + 1);
        for (int k = 0; k < NKINDS; k++)
            ts[ndev].left[k] = mask >> k & 1 ? (int)n : 0;
        const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        snprintf(ts[ndev].disk, sizeof ts[ndev].disk, "%.*s", (int)strcspn(base, "@"), base);
    }
    /* a target with nothing to inject whose container another target faults */
    for (int d = 0; d < ndev; d++)
        for (int e = 0; e < ndev; e++)
            if (e != d && !strcmp(ts[d].name, ts[e].name) && !(kinds_left(&ts[d])) &&
                kinds_left(&ts[e]))
                ts[d].shared = 1;
    for (int d = 0; d < ndev && !why; d++) {
        who = devs[d];
        if (fs_worker_init(&ws[d], devs[d], d, seed))
            why = ws[d].why;
    }
    uint64_t total = 0, injected = 0, rng = seed ^ 0xfa17ull, t0 = hm_now();
    for (int d = 0; d < ndev; d++)
        total += kinds_left(&ts[d]);
    if (!why)
        printf("faultstress: %lu faults into %d container(s) while %d device(s) are read and written (seed %lu)\n",
               (unsigned long)total, ndev, ndev, (unsigned long)seed);
    for (int d = 0; d < ndev && !why; d++)
        /* below the drivers (HM_PRIO_DRIVER), as an application's load: a
         * worker above them that a twin keeps busy while its LDC restarts
         * would starve that LDC's Linux (strict priorities) */
        if (hm_thread_start(&ws[d].t, fs_worker_main, &ws[d], HM_PRIO_BACKGROUND, 1) < 0) {
            who = ws[d].dev;
            why = "cannot start its thread";
        } else {
            ws[d].started = 1;
        }
    /* inject while every worker runs */
    while (!why) {
        int busy = 0;
        for (int d = 0; d < ndev && !why; d++) {
            struct target *t = &ts[d];
            who = ws[d].dev;
            if (__atomic_load_n(&ws[d].finished, __ATOMIC_ACQUIRE)) {
                why = ws[d].why;
                break;
            }
            who = t->name;
            if ((why = watch(t, &rng)))
                break;
            int left = kinds_left(t);
            busy |= t->armed || left;
            if (!t->armed && left && hm_now() >= t->next_at) {
                int st = arm(t, &rng);
                if (st) {
                    why = sh_fault_error(st);
                    break;
                }
                if (++injected % 25 == 0 || injected == total)
                    printf("faultstress: %lu of %lu faults injected, %lu s\n", (unsigned long)injected,
                           (unsigned long)total, (unsigned long)((hm_now() - t0) / hm_time_freq()));
            }
        }
        if (!busy)
            break;
        hm_sleep_until(hm_deadline_ms(10));
    }
    /* stop the workload: requests in flight finish first */
    for (int d = 0; d < ndev; d++)
        __atomic_store_n(&ws[d].stop, 1, __ATOMIC_RELEASE);
    uint64_t until = hm_deadline_ms(WAIT_MS);
    for (int d = 0; d < ndev; d++) {
        while (ws[d].started && !__atomic_load_n(&ws[d].finished, __ATOMIC_ACQUIRE) && hm_now() < until)
            hm_sleep_until(hm_deadline_ms(10));
        if (!why && ws[d].started && (!ws[d].finished || ws[d].err)) {
            who = ws[d].dev;
            why = ws[d].finished ? ws[d].why : "its requests did not come back";
        }
    }
    /* what the devices hold now, read afresh: exactly what was written */
    for (int d = 0; d < ndev && !why; d++)
        if ((why = fs_worker_verify(&ws[d])))
            who = ws[d].dev;
    for (int d = 0; d < ndev && !why; d++) {
        char more[96] = "";
        int n = 0;
        if (ts[d].done[KIND_DMA])
            n += snprintf(more + n, sizeof more - (size_t)n, ", %d DMA outside it (canary unchanged)",
                          ts[d].done[KIND_DMA]);
        for (int k = KIND_DMA + 1; k < NKINDS; k++)
            if (ts[d].done[k] && n < (int)sizeof more)
                n += snprintf(more + n, sizeof more - (size_t)n, ", %d %s", ts[d].done[k], hm_dm_fault_name(kinds[k]));
        printf("faultstress: %s: %d kill, %d crash, %d hang injected%s, each recovered from (worst %lu ms to running "
               "again)\n", ts[d].name, ts[d].done[2], ts[d].done[0], ts[d].done[1],
               more, (unsigned long)ts[d].worst_ms);
    }
    for (int d = 0; d < MAX_DEVS; d++)
        fs_worker_free(&ws[d]);
    if (why) {
        printf("sh: faultstress: %s: %s\n", who ? who : "?", why);
        return 1;
    }
    printf("faultstress: passed: %lu faults in %lu s, no request failed, every byte as written\n",
           (unsigned long)injected, (unsigned long)((hm_now() - t0) / hm_time_freq()));
    return 0;
}
