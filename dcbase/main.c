/*
 * DC-base: the Linux driver container's host side. It gives the Linux
 * runtime (linux.o, built from Debian's tree with arch/hm) its memory, its
 * threads, time, interrupts and device memory (host.c), keeps its log
 * (log.c), and serves the disks Linux finds as block sessions (blk.c).
 *
 * Started by devmgr with handles "mmio" (device memory; also "mmio1"..,
 * one per granted window), "irqres" (interrupts; also "irqres1".., one per
 * granted device), "ep" (its endpoint), "dtb" (the filtered device
 * tree), "dma" (contiguous memory; Linux allocates its own region instead),
 * and "dm" (devmgr, to publish nodes, hand data planes to twins (twin.c)
 * and say it is ready).
 * Arguments: ram=MiB (Linux's memory, default 24), log=console (echo
 * Linux's log on the console), hm.standby (a standby: started with no
 * device handles and no "dm"; Linux waits before its drivers until devmgr
 * activates it, standby.c), other KEY=VALUE words are Linux's command
 * line; words without '=' (devmgr's slot offset and IRQ) are ignored:
 * Linux finds its devices in the device tree.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/blk.h>
#include <hm/chr.h>
#include <hm/dc.h>
#include <hm/dm.h>
#include <hm/dmclient.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hm_handle_t dc_events, dc_bell, dc_ep, dc_dm = HM_HANDLE_INVALID, dc_ram = HM_HANDLE_INVALID;
uint64_t dc_ram_base, dc_ram_size;
static hm_handle_t ready_notif;
static struct dc_boot boot;
static char cmdline[512];

void dc_host_ready(void)
{
    hm_notif_signal(ready_notif, 1);
}

static void linux_cpu(void *arg)
{
    dc_linux_start(arg);   /* never returns: this thread is Linux's idle task */
}

/* clients ring the doorbell; Linux hears it as DC_EV_KICK (block) or
 * DC_EV_CHR (character devices' HM_CHR_DOORBELL_BIT) (the doorbell is a
 * notification of its own so a client cannot raise Linux's device or timer
 * event bits) */
static void *bell_forward(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t bits;
        if (hm_notif_wait(dc_bell, HM_DEADLINE_NEVER, &bits) >= 0)
            hm_notif_signal(dc_events, (bits & HM_CHR_DOORBELL_BIT ? DC_EV_CHR : 0) |
                                           (bits & ~HM_CHR_DOORBELL_BIT ? DC_EV_KICK : 0));
    }
    return NULL;
}

static uint64_t ready_t0;
static int dma_register(hm_handle_t ram);

static int dma_register_linux(void)
{
    return dma_register(dc_ram);
}

/* With an SMMU, the container's PCI functions reach Linux's memory only
 * once devmgr maps it for them (an identity map: what Linux's dma-direct
 * calls a DMA address is the physical one). devmgr learns where it is
 * from the handle, not from us. 0, or 1 if the container cannot go on. */
static int dma_register(hm_handle_t ram)
{
    static struct hm_ipc_buf buf;
    if (dc_dm < 0)
        return 0;
    uint64_t covered = 0;
    int st = hm_ipc_buf_set(&buf) < 0 ? -ENOMEM : hm_dm_dma_map(dc_dm, &buf, ram, &covered);
    if (st == -ENOTSUP) {
        dc_log_printf("dcbase: no SMMU confines this container's devices: their DMA is not checked\n");
        return 0;
    }
    if (st) {
        fprintf(stderr, "ldc: devmgr cannot map Linux's memory for its devices' DMA: %s\n", strerror(-st));
        return 1;
    }
    dc_log_printf("dcbase: Linux memory mapped for the DMA of its %lu PCI functions (SMMU)\n",
                  (unsigned long)covered);
    return 0;
}

/* Linux has run its initcalls once /init is "executed" (and arch/hm waits
 * until every disk is announced); the disks are published once the
 * publisher is idle: then devmgr hears HM_DM_READY */
static void *ready_wait(void *arg)
{
    (void)arg;
    uint64_t bits;
    if (dc_standby) {
        if (dc_standby_wait_activation(dma_register_linux))
            hm_proc_exit(1);
        ready_t0 = hm_now();   /* its restart starts now */
    }
    if (hm_notif_wait(ready_notif, hm_deadline_ms(60000), &bits) < 0) {
        fprintf(stderr, "ldc: Linux did not finish booting in 60 s; its log follows\n");
        char buf[512];
        uint64_t off = 0, next, oldest;
        size_t n;
        while ((n = dc_log_read(off, buf, sizeof buf, &next, &oldest)) > 0) {
            hm_console_write(hm_console, buf, n);
            off = next;
        }
        hm_proc_exit(1);
    }
    while (!dc_blk_publish_idle())
        hm_sleep_until(hm_deadline_ms(1));
    dc_chr_report();
    dc_log_printf("dcbase: container ready in %lu ms (%s to disks published)\n",
                  (unsigned long)((hm_now() - ready_t0) * 1000 / hm_time_freq()), dc_standby ? "activation" : "start");
    if (dc_dm >= 0) {
        struct hm_msg m = { .tag = HM_TAG(HM_DM_READY, 0, 0) };
        hm_call(dc_dm, &m);
    }
    return NULL;
}

/* ---- the container's endpoint: who may ask what ---- */
static uint32_t dc_classify(uint64_t badge)
{
    if (!badge)
        return DC_FROM_DEVMGR;
    if (badge & DC_FILE_BADGE)
        return DC_FROM_FILE;
    if (badge & DC_CHR_BADGE)
        return DC_FROM_CHR;
    if (badge & DC_TWIN_BADGE)
        return DC_FROM_TWIN;
    return badge & DC_DISK_BADGE ? DC_FROM_DISK : DC_FROM_SESSION;
}

/* an injected hang (fault.c): nobody is answered any more */
static void dc_gate(void)
{
    while (dc_hung)
        hm_sleep_until(HM_DEADLINE_NEVER);
}

/* HM_DC_LOG: a piece of Linux's log from offset w0 */
static int dc_log(struct hm_srv_req *r)
{
    uint64_t next, oldest;
    size_t n = dc_log_read(r->m.w[0], (char *)r->buf->words, HM_DC_LOG_CHUNK, &next, &oldest);
    r->m.w[0] = n;
    r->m.w[1] = next;
    r->m.w[2] = oldest;
    r->reply_words = (unsigned)(n + 7) / 8;
    return 0;
}

/* HM_DC_PING (hm/dc.h): w0 ms Linux could have run with a heartbeat
 * event untaken, w1 ms it could have run with a block request stuck inside
 * it (alive.c) */
static int dc_ping(struct hm_srv_req *r)
{
    dc_alive_ping(&r->m.w[0], &r->m.w[1]);
    return 0;
}

static const struct hm_srv_op dc_ops[] = {
    /* label              who may ask       handles  handler */
    { HM_DC_LOG,          DC_FROM_DEVMGR,   0,       dc_log },
    { HM_DC_PING,         DC_FROM_DEVMGR,   0,       dc_ping },
    { HM_DC_FAULT,        DC_FROM_DEVMGR,   0,       dc_fault_arm },
    { HM_DC_GRANT,        DC_FROM_DEVMGR,   1,       dc_standby_grant },
    { HM_DC_ACTIVATE,     DC_FROM_DEVMGR,   1,       dc_standby_activate },
    { HM_BLK_INFO,        DC_FROM_DISK,     0,       dc_blk_info },
    { HM_BLK_IOCTL,       DC_FROM_DISK,     0,       dc_blk_ioctl },
    { HM_BLK_ATTACH,      DC_FROM_DISK,     2,       dc_blk_attach },
    { HM_BLK_DETACH,      DC_FROM_SESSION,  0,       dc_blk_detach },
    { HM_DC_TWIN_EVENT,   DC_FROM_TWIN,     0,       dc_twin_event },
    { HM_DC_TWIN_ERROR,   DC_FROM_TWIN,     0,       dc_twin_error },
    { HM_CHR_OPEN,        DC_FROM_CHR,      3,       dc_chr_open },
    { HM_CHR_CLOSE,       DC_FROM_FILE,     0,       dc_chr_close },
    { HM_CHR_STAT,        DC_FROM_CHR | DC_FROM_FILE, 0, dc_chr_stat },
};

int main(int argc, char **argv)
{
    uint64_t t0 = hm_now();
    unsigned long ram_mib = 24;
    size_t cl = 0;
    int ntwins = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "ram=", 4))
            ram_mib = strtoul(argv[i] + 4, NULL, 10);
        else if (!strcmp(argv[i], "log=console"))
            dc_log_echo = 1;
        else if (!strcmp(argv[i], "hm.standby"))
            dc_standby = 1;   /* standby.c: no devices until devmgr activates us */
        else if (!strncmp(argv[i], "hm.twin_serving=", 16))
            for (char *a = argv[i] + 16, *end; *a && ntwins < HM_DM_MAX_TWIN_SERVING; a = *end ? end + 1 : end) {
                dc_twin_serving[ntwins++] = strtoull(a, &end, 16);
                if (end == a)
                    break;   /* not a number: the rest is ignored */
            }
        else if (!strchr(argv[i], '='))
            continue;   /* devmgr's slot offset and interrupt: Linux reads the device tree */
        else if (cl + strlen(argv[i]) + 2 < sizeof cmdline)
            cl += (size_t)snprintf(cmdline + cl, sizeof cmdline - cl, "%s%s", cl ? " " : "", argv[i]);
    }
    if (ram_mib < 6 || ram_mib > 256) {
        fprintf(stderr, "ldc: ram=%lu MiB is outside 6..256\n", ram_mib);
        return 2;
    }
    dc_ep = hm_start_handle("ep");
    dc_dm = hm_start_handle("dm");
    hm_handle_t dtb = hm_start_handle("dtb");
    struct hm_mem_info mi;
    long dva = dtb < 0 || hm_mem_info(dtb, &mi) < 0 ? -1 : hm_vm_map(HM_HANDLE_SELF_PROC, dtb, 0, mi.size, 0, HM_MAP_R);
    if (dc_ep < 0 || dva < 0 || fdt_check_header((const void *)dva)) {
        fprintf(stderr, "ldc: needs handles ep and dtb (a valid device tree)\n");
        return 2;
    }

    /* Linux's memory: physically contiguous, mapped at virtual == physical,
     * below 4 GiB, so that what Linux calls a physical address a device can use */
    uint64_t ram_size = (uint64_t)ram_mib << 20;
    long ram = hm_mem_create(ram_size, HM_MEM_CONTIG);
    struct hm_mem_info ri;
    if (ram < 0 || hm_mem_info((hm_handle_t)ram, &ri) < 0) {
        fprintf(stderr, "ldc: no %lu MiB of contiguous memory for Linux: %s\n", ram_mib, hm_strerror(ram));
        return 1;
    }
    long rva = hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)ram, 0, ram_size, ri.phys, HM_MAP_R | HM_MAP_W);
    if (rva < 0 || (uint64_t)rva != ri.phys || ri.phys + ram_size > (1ull << 32)) {
        fprintf(stderr, "ldc: cannot map Linux's memory at its physical address 0x%lx: %s\n",
                (unsigned long)ri.phys, rva < 0 ? hm_strerror(rva) : "above 4 GiB");
        return 1;
    }

    /* a standby has no devices yet: it registers once activated */
    if (!dc_standby && dma_register((hm_handle_t)ram))
        return 1;

    long ev = hm_notif_create(), bell = hm_notif_create(), rn = hm_notif_create();
    if (ev < 0 || bell < 0 || rn < 0) {
        fprintf(stderr, "ldc: out of kernel objects\n");
        return 1;
    }
    dc_ram = (hm_handle_t)ram;   /* a twin maps the rings Linux made in it */
    dc_ram_base = ri.phys;
    dc_ram_size = ram_size;
    dc_events = (hm_handle_t)ev;
    dc_bell = (hm_handle_t)bell;
    ready_notif = (hm_handle_t)rn;
    if (dc_host_setup() < 0 || (dc_standby && dc_standby_setup() < 0)) {
        fprintf(stderr, "ldc: cannot create its timer\n");
        return 1;
    }
    dc_chr_named((const void *)dva);
    dc_blk_publish_start();
    dc_chr_start();
    dc_twin_start();
    static struct hm_thread fw;
    hm_thread_start(&fw, bell_forward, NULL, DC_PRIO_SERVICE, 1);
    if (dc_alive_start() < 0)
        fprintf(stderr, "ldc: cannot start the heartbeat's probe: Linux's own hangs go unseen\n");

    boot = (struct dc_boot){ .ram_base = ri.phys, .ram_size = ram_size, .dtb = (const void *)dva, .cmdline = cmdline };
    unsigned long ssize;
    char *stack = dc_linux_init_stack(&ssize);
    long cpu = hm_thread_create(HM_HANDLE_SELF_PROC, (void *)linux_cpu, stack + ssize, (long)&boot, DC_PRIO_LINUX);
    if (cpu < 0) {
        fprintf(stderr, "ldc: cannot create Linux's thread: %s\n", hm_strerror(cpu));
        return 1;
    }
    boot.idle_thread = cpu;
    dc_log_printf("dcbase: Linux memory %lu MiB at 0x%lx, command line \"%s\"\n", ram_mib, (unsigned long)ri.phys,
                  cmdline);
    hm_thread_resume((hm_handle_t)cpu);

    /* the endpoint is served from now on (devmgr may ask for the log while
     * the container is still starting); another thread waits for Linux */
    static struct hm_thread rt;
    ready_t0 = t0;
    if (hm_thread_start(&rt, ready_wait, NULL, DC_PRIO_SERVICE, 1) < 0) {
        fprintf(stderr, "ldc: cannot start its ready thread\n");
        return 1;
    }
    static struct hm_ipc_buf ipcbuf;
    struct hm_srv srv = { .ep = dc_ep, .ops = dc_ops, .nops = sizeof dc_ops / sizeof dc_ops[0],
                          .classify = dc_classify, .gate = dc_gate, .buf = &ipcbuf };
    long r = hm_srv_run(&srv);
    fprintf(stderr, "ldc: endpoint closed (%s), exiting\n", hm_strerror(r));
    return 0;
}
