/* Fault injection from the shell (docs/reliability.md): the fault
 * command, and the helpers faultstress shares with it. */
#include "sh.h"
#include <hm/dc.h>
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

/* 1 (and why) if this shell may not inject faults: init gives the right
 * as a second devmgr handle, "dm-fault" (boot.conf) */
int sh_no_fault_right(const char *cmd)
{
    if (sh_dm < 0)
        printf("sh: %s: no device manager\n", cmd);
    else if (sh_dm_fault < 0)
        printf("sh: %s: this shell was not given the fault right (boot.conf: send=dm/0x100:dm-fault)\n", cmd);
    return sh_dm < 0 || sh_dm_fault < 0;
}

const char *sh_fault_error(int err)
{
    return err == -EAGAIN ? "not running"
         : err == -EPERM ? "refused: this shell's dm-fault handle does not carry the fault right"
         : err == -ESRCH ? "it has no standby now (devices.conf \"standby\"; one starts after it is ready)"
         : err == -ENOTSUP ? "it has no injection points for that (a native driver; linkreset: no UFS twin there; twin: no twin serves)"
         : strerror(-err);
}

/* wait until container name, restarted since `before`, runs again (or
 * devmgr gave up, or ms passed): 0 if it runs again, with *state */
static int wait_restarted(const char *name, uint64_t before, uint64_t ms, uint64_t *state)
{
    uint64_t t0 = hm_now(), restarts = before;
    char node[16];
    while (hm_now() - t0 < hm_ms(ms)) {
        if (sh_ct_state(name, state, &restarts, node) < 0)
            return -1;
        if (restarts > before && *state == HM_DM_RUNNING)
            return 0;
        if (*state == HM_DM_FAILED)
            return -1;
        hm_sleep_until(hm_deadline_ms(5));
    }
    return -1;
}

int sh_canary_new(struct sh_canary *c, uint64_t seed)
{
    long mem = hm_mem_create(4096, HM_MEM_CONTIG);
    long va = mem < 0 ? mem : hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    struct hm_mem_info mi;
    if (va < 0 || hm_mem_info((hm_handle_t)mem, &mi) < 0) {
        if (mem >= 0)
            hm_handle_close((hm_handle_t)mem);
        return -ENOMEM;
    }
    c->mem = (hm_handle_t)mem;
    c->va = (volatile uint8_t *)va;
    c->phys = mi.phys;
    uint64_t x = seed | 1;
    for (int i = 0; i < 4096; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c->va[i] = c->want[i] = (uint8_t)x;
    }
    return 0;
}

int sh_canary_changed(const struct sh_canary *c)
{
    int differ = 0;
    for (int i = 0; i < 4096; i++)
        differ += c->va[i] != c->want[i];
    return differ;
}

void sh_canary_free(struct sh_canary *c)
{
    hm_vm_unmap(HM_HANDLE_SELF_PROC, (uint64_t)c->va);
    hm_handle_close(c->mem);
}

int sh_fault_dma(const char *ct, const char *disk, const struct sh_canary *c, uint64_t *before)
{
    long copy = hm_handle_dup(c->mem, HM_R_READ | HM_R_GRANT, 0);
    if (copy < 0)
        return -ENOMEM;
    int st = hm_dm_dma_fault(sh_dm_fault, &sh_buf, ct, disk, (hm_handle_t)copy, before);
    hm_handle_close((hm_handle_t)copy);   /* devmgr has its own copy */
    return st;
}

/* fault CONTAINER dma [DISK]: a device of the container's writes the
 * canary. With the SMMU the write is stopped, devmgr logs it and restarts
 * the container; the canary must then be as we filled it. */
static int fault_dma(const char *ct, const char *disk)
{
    static struct sh_canary c;
    if (sh_canary_new(&c, hm_now())) {
        printf("sh: fault: no memory for the canary page\n");
        return 1;
    }
    uint64_t before, state = 0, t0 = hm_now();
    int st = sh_fault_dma(ct, disk, &c, &before);
    if (st) {
        printf("sh: fault: %s: %s\n", ct, st == -EINVAL ? "no such disk, or a page it owns" : sh_fault_error(st));
        sh_canary_free(&c);
        return 1;
    }
    printf("fault: %s: %s is to write the canary page at 0x%lx (the shell's)\n", ct, disk[0] ? disk : "its PCI disk",
           (unsigned long)c.phys);
    /* with the SMMU the container is restarted; without, nothing stops
     * the write and the container goes on (20 s, then the canary says) */
    int back = !wait_restarted(ct, before, 20000, &state);
    unsigned long ms = (unsigned long)((hm_now() - t0) * 1000 / hm_time_freq());
    int differ = sh_canary_changed(&c);
    if (back)
        printf("fault: %s running again after %lu ms (restart %lu)\n", ct, ms, (unsigned long)before + 1);
    else
        printf("fault: %s was not restarted within %lu ms (%s)\n", ct, ms,
               state == HM_DM_FAILED ? "devmgr gave up" : "no SMMU stopped the DMA?");
    if (differ)
        printf("fault: canary page at 0x%lx CHANGED: %d of 4096 bytes differ: the DMA was not stopped\n",
               (unsigned long)c.phys, differ);
    else
        printf("fault: canary page at 0x%lx unchanged\n", (unsigned long)c.phys);
    sh_canary_free(&c);
    return back && !differ ? 0 : 1;
}

/* fault CONTAINER kill: devmgr stops the container (its devices reset) and
 * micro-reboots it; we wait until it is running again and say how long
 * that took (docs/reliability.md) */
int cmd_fault(int argc, char **argv)
{
    if (argc >= 3 && argc <= 4 && !strcmp(argv[2], "dma")) {
        if (sh_no_fault_right("fault"))
            return 1;
        if (strlen(argv[1]) >= HM_DM_CT_NAME_MAX || (argc == 4 && strlen(argv[3]) >= 8)) {
            printf("sh: fault: no such container or disk\n");
            return 1;
        }
        return fault_dma(argv[1], argc == 4 ? argv[3] : "");
    }
    /* options: --after MS (kill), --at N and --seed S (crash, hang) */
    uint64_t after = 0, at = 0, seed = 0, kind = 0;
    int bad = argc < 3 || (argc - 3) % 2 || strlen(argv[1]) >= HM_DM_CT_NAME_MAX;
    if (!bad)
        kind = hm_dm_fault_kind(argv[2]);
    if (kind == HM_DM_FAULT_DMA)
        kind = 0;   /* dma [DISK] is the form above: no options */
    for (int i = 3; !bad && i + 1 < argc; i += 2) {
        char *end;
        uint64_t v = strtoull(argv[i + 1], &end, 10);
        bad = *end || !*argv[i + 1];
        if (kind == HM_DM_FAULT_LINKRESET || kind == HM_DM_FAULT_TWIN || kind == HM_DM_FAULT_STANDBY)
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
        printf("usage: fault CONTAINER kill [--after MS] | crash|hang|spin|deadlock [--at N] [--seed S] | linkreset\n"
               "       | twin | standby | dma [DISK]\n");
        return 1;
    }
    if (sh_no_fault_right("fault"))
        return 1;
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
    int st = hm_dm_fault(sh_dm_fault, &sh_buf, argv[1], kind, kind == HM_DM_FAULT_KILL ? after : at, seed, &before);
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
    if (kind == HM_DM_FAULT_STANDBY) {
        printf("fault: %s: its standby killed; devmgr starts another\n", argv[1]);
        return 0;
    }
    if (kind == HM_DM_FAULT_TWIN) {
        printf("fault: %s: its twin crashes; devmgr restarts the twin with %s\n", argv[1], argv[1]);
        return 0;
    }
    if (kind != HM_DM_FAULT_KILL) {
        printf("fault: %s: %s armed (%s%s); devmgr restarts it when it fires\n", argv[1], argv[2],
               at || seed ? "" : kind == HM_DM_FAULT_HANG ? "now" : "at its next request",
               at || seed ? "at the request or point given" : "");
        if (kind == HM_DM_FAULT_SPIN || kind == HM_DM_FAULT_DEADLOCK)
            printf("fault: %s: found by the heartbeat within %d ms (%s)\n", argv[1],
                   kind == HM_DM_FAULT_SPIN ? HM_DC_ALIVE_MS : HM_DC_STALL_MS,
                   kind == HM_DM_FAULT_SPIN ? "its Linux takes no event" : "a request waits, none completes");
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

