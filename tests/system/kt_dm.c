/* The device manager: finds the virtio-mmio block device and the PCIe host
 * in the device tree, starts the native driver container for the disk
 * (devices.conf), lists devices over IPC, and survives malformed and
 * forged messages. A driver reaches only the MMIO it was granted. */
#include "ktest.h"
#include <hm/dm.h>
#include <hm/dmclient.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static struct hm_ipc_buf buf;

static long lsdev(hm_handle_t dm, uint64_t i, struct hm_dm_dev *d, struct hm_msg *m)
{
    *m = (struct hm_msg){ .tag = HM_TAG(HM_DM_LSDEV, 0, 0), .w = { i } };
    long r = hm_call(dm, m);
    if (r < 0)
        return r;
    memcpy(d, buf.words, sizeof *d);
    return HM_TAG_LABEL(m->tag);
}

/* the row of container ct's first device: 0, or -1 if none */
static int ct_row(hm_handle_t dm, const char *ct, struct hm_msg *m)
{
    struct hm_dm_dev d;
    for (uint64_t i = 0; i < 64 && lsdev(dm, i, &d, m) == 0; i++)
        if (!strcmp(d.container, ct))
            return 0;
    return -1;
}

/* The fault right, both ways: a client's handle (badge 0) and one with a
 * badge devmgr never gave cannot inject faults (HM_DM_FAULT,
 * HM_DM_DMA_FAULT: EPERM, nothing stopped); the handle init gives the
 * shell (badge HM_DM_BADGE_FAULT) can, and it is no container's */
static void fault_right(hm_handle_t dm, hm_handle_t fdm, hm_handle_t odm, long page)
{
    struct hm_msg m;
    uint64_t before = 99;
    KT_EQ(hm_dm_fault(dm, &buf, "ndc0", HM_DM_FAULT_KILL, 0, 0, &before), -EPERM,
          "a kill asked with a client's devmgr handle (no fault right): EPERM");
    KT_EQ(hm_dm_fault(odm, &buf, "ndc0", HM_DM_FAULT_KILL, 0, 0, &before), -EPERM,
          "with a badge devmgr never gave: EPERM");
    KT_EQ(hm_dm_fault(dm, &buf, "ndc0", HM_DM_FAULT_CRASH, 0, 0, &before), -EPERM, "a crash: EPERM");
    KT_EQ(hm_dm_dma_fault(dm, &buf, "ndc0", "", (hm_handle_t)page, &before),
          -EPERM, "a DMA fault: EPERM");
    KT_CHECK(ct_row(dm, "ndc0", &m) == 0 && m.w[0] == HM_DM_RUNNING && m.w[3] == 0,
             "ndc0 was not stopped by any of them (running, 0 restarts)");
    m = (struct hm_msg){ .tag = HM_TAG(HM_DM_READY, 0, 0) };
    KT_CHECK(hm_call(fdm, &m) == 0 && HM_TAG_LABEL(m.tag) == EPERM, "the fault right is no container's: READY refused");
    KT_EQ(hm_dm_fault(fdm, &buf, "ndc0", 77, 0, 0, &before), -EINVAL, "with the fault right, a bad kind: EINVAL");
    KT_EQ(hm_dm_fault(fdm, &buf, "nosuch", HM_DM_FAULT_KILL, 0, 0, &before), -ENOENT,
          "with the fault right, no such container: ENOENT");
    KT_EQ(hm_dm_fault(fdm, &buf, "ndc0", HM_DM_FAULT_KILL, 0, 0, &before), 0, "with the fault right, a kill of ndc0: done");
    int back = 0;
    for (int t = 0; t < 500 && !back; t++) {
        back = ct_row(dm, "ndc0", &m) == 0 && m.w[0] == HM_DM_RUNNING && m.w[3] == 1;
        if (!back)
            hm_sleep_until(hm_deadline_ms(20));
    }
    KT_CHECK(back, "ndc0 was restarted once and runs again");
}

/* devmgr with conf, whose one container (ct) dies at every start (how:
 * what): restarted with back-off, given up after 5 restarts; devmgr still
 * serves */
static void gives_up(struct hm_spawn_handle hs[4], const char *conf, const char *ct, const char *how)
{
    struct hm_dm_dev d;
    struct hm_msg m;
    long ep = hm_ep_create();
    const char *argv[] = { "devmgr", conf, NULL };
    hs[3].h = (hm_handle_t)ep;
    long dmp = hm_spawn("devmgr", argv, hs, 4, HM_HANDLE_INVALID, HM_PRIO_SERVICE);
    long dm = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0);
    hm_handle_close((hm_handle_t)ep);
    int failed = 0;
    uint64_t restarts = 0;
    for (int t = 0; t < 400 && !failed; t++) {
        for (uint64_t i = 0; lsdev((hm_handle_t)dm, i, &d, &m) == 0; i++)
            if (!strcmp(d.container, ct) && m.w[0] == HM_DM_FAILED) {
                failed = 1;
                restarts = m.w[3];
            }
        if (!failed)
            hm_sleep_until(hm_deadline_ms(20));
    }
    char name[96];
    snprintf(name, sizeof name, "a container that %s at every start ends failed: devmgr gave up", how);
    KT_CHECK(failed, name);
    snprintf(name, sizeof name, "%s: after 5 restarts", how);
    KT_EQ((long)restarts, 5, name);
    KT_CHECK(lsdev((hm_handle_t)dm, 0, &d, &m) == 0, "devmgr goes on serving after it gave up");
    hm_proc_kill((hm_handle_t)dmp);
    hm_handle_close((hm_handle_t)dm);
}

/* devmgr with devices-msi.conf: its PCIe host (and the NVMe function on
 * it) go to kt_msidrv, which asks for MSI vectors it may and may not have
 * and prints its own cases; once it said ready, lsdev shows the one vector
 * devmgr granted on the function's row */
static void msi_container(struct hm_spawn_handle hs[4])
{
    struct hm_dm_dev d;
    struct hm_msg m;
    long ep = hm_ep_create();
    const char *argv[] = { "devmgr", "conf=devices-msi.conf", NULL };
    hs[3].h = (hm_handle_t)ep;
    long dmp = hm_spawn("devmgr", argv, hs, 4, HM_HANDLE_INVALID, HM_PRIO_SERVICE);
    long dm = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0);
    hm_handle_close((hm_handle_t)ep);
    int running = 0;
    char vectors[16] = "";
    uint64_t ldc7_limit[HM_QUOTA_N] = { 0 };
    for (int t = 0; t < 500 && !running; t++) {
        for (uint64_t i = 0; lsdev((hm_handle_t)dm, i, &d, &m) == 0 && i < 64; i++)
            if (!strcmp(d.kind, "nvme") && !strcmp(d.container, "ldc7") && m.w[0] == HM_DM_RUNNING) {
                running = 1;
                memcpy(vectors, d.vectors, sizeof vectors);
                memcpy(ldc7_limit, d.quota_limit, sizeof ldc7_limit);
            }
        if (!running)
            hm_sleep_until(hm_deadline_ms(20));
    }
    KT_CHECK(running, "the container holding the PCIe host (kt_msidrv) ran its MSI and quota cases and said ready");
    KT_CHECK(!strcmp(vectors, "msix:1"), "lsdev shows the one MSI-X vector devmgr granted it (msix:1)");
    KT_CHECK(ldc7_limit[HM_QUOTA_MEM] == 2 << 20 && ldc7_limit[HM_QUOTA_DMA] == 1 << 20 &&
             ldc7_limit[HM_QUOTA_HANDLES] == 128 && ldc7_limit[HM_QUOTA_THREADS] == 8 &&
             ldc7_limit[HM_QUOTA_EPS] == 8,
             "devmgr serves on after the container exhausted its quota: lsdev shows ldc7's own line's limits "
             "(not the \"limits *\" line before it)");
    hm_proc_kill((hm_handle_t)dmp);
    hm_handle_close((hm_handle_t)dm);
}

int main(void)
{
    kt_init("dm");
    hm_ipc_buf_set(&buf);
    long ep = hm_ep_create();
    /* the native-driver board: the LDC board is kt_ldc's */
    const char *argv[] = { "devmgr", "conf=devices-ndc.conf", NULL };
    struct hm_spawn_handle hs[4] = {
        { "bootimg", hm_start_handle("bootimg"), HM_R_READ | HM_R_EXEC | HM_R_MAP | HM_R_GRANT | HM_R_DUP },
        { "root", hm_start_handle("root"), HM_R_ALL },
        { "dtb", hm_start_handle("dtb"), HM_R_READ | HM_R_MAP },
        { "dm", (hm_handle_t)ep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT },
    };
    long dmp = hm_spawn("devmgr", argv, hs, 4, HM_HANDLE_INVALID, HM_PRIO_SERVICE);
    KT_OK(dmp, "start devmgr");
    long dm = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, 0);
    long fdm = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, HM_DM_BADGE_FAULT);   /* the shell's dm-fault */
    long odm = hm_handle_dup((hm_handle_t)ep, HM_R_SEND, HM_DM_BADGE_FAULT + 1);   /* a badge nobody gives */
    hm_handle_close((hm_handle_t)ep);

    struct hm_dm_dev d;
    struct hm_msg m;
    /* devmgr answers at once; the driver container registers its node and
     * says ready on its own: wait for that (up to 10 s) */
    for (int t = 0, starting = 1; t < 500 && starting; t++) {
        starting = 0;
        for (uint64_t i = 0; lsdev((hm_handle_t)dm, i, &d, &m) == 0 && i < 64; i++)
            starting |= m.w[0] == HM_DM_STARTING;
        if (starting)
            hm_sleep_until(hm_deadline_ms(20));
    }
    int found_blk = 0, found_pci = 0, n = 0;
    while (lsdev((hm_handle_t)dm, (uint64_t)n, &d, &m) == 0 && n < 64) {
        if (!strcmp(d.kind, "block") && !strcmp(d.driver, "virtio_blk") && !strcmp(d.container, "ndc0") &&
            !strcmp(d.compatible, "virtio,mmio") && m.w[0] == HM_DM_RUNNING && m.w[2] >= 48 && m.w[2] < 80)
            found_blk = 1;
        if (!strcmp(d.kind, "pci-host") && m.w[0] == HM_DM_UNASSIGNED)
            found_pci = 1;
        n++;
    }
    KT_CHECK(found_blk, "lsdev: virtio-mmio block device, driver virtio_blk in ndc0, running");
    KT_CHECK(found_pci, "lsdev: the PCIe host, unassigned");
    KT_EQ(lsdev((hm_handle_t)dm, (uint64_t)n, &d, &m), ENOENT, "past the last device: ENOENT");
    KT_EQ(lsdev((hm_handle_t)dm, ~0ull, &d, &m), ENOENT, "huge index: ENOENT");

    m = (struct hm_msg){ .tag = HM_TAG(4242, 0, 0) };
    KT_CHECK(hm_call((hm_handle_t)dm, &m) == 0 && HM_TAG_LABEL(m.tag) == EINVAL, "unknown request: EINVAL");
    long nn = hm_notif_create();
    buf.handles[0] = (hm_handle_t)nn;
    m = (struct hm_msg){ .tag = HM_TAG(HM_DM_LSDEV, 3, 1) };
    KT_CHECK(hm_call((hm_handle_t)dm, &m) == 0, "request with stray words and a handle answered");
    m = (struct hm_msg){ .tag = HM_TAG(HM_MSG_FAULT, 0, 0), .w = { 1, 2, 3, 4, 5, 6 } };
    KT_CHECK(hm_call((hm_handle_t)dm, &m) == 0 && HM_TAG_LABEL(m.tag) == EINVAL, "forged fault message refused");
    m = (struct hm_msg){ .tag = HM_TAG(HM_DM_MSI, 0, 0), .w = { HM_DM_WHERE_PCI | 8, 0, 1 } };
    KT_CHECK(hm_call((hm_handle_t)dm, &m) == 0 && HM_TAG_LABEL(m.tag) == EPERM && !HM_TAG_NHANDLES(m.tag),
             "an MSI vector asked by a client (not a container) is refused: EPERM, no resource");
    long page = hm_mem_create(4096, HM_MEM_CONTIG);
    buf.handles[0] = (hm_handle_t)page;
    m = (struct hm_msg){ .tag = HM_TAG(HM_DM_DMA_MAP, 0, 1) };
    KT_CHECK(hm_call((hm_handle_t)dm, &m) == 0 && HM_TAG_LABEL(m.tag) == EPERM,
             "a DMA registration by a client (not a container or twin) is refused: EPERM");
    m = (struct hm_msg){ .tag = HM_TAG(HM_DM_DMA_UNMAP, 0, 0), .w = { 0x40000000 } };
    KT_CHECK(hm_call((hm_handle_t)dm, &m) == 0 && HM_TAG_LABEL(m.tag) == EPERM, "so is an unmap: EPERM");
    KT_CHECK(lsdev((hm_handle_t)dm, 0, &d, &m) == 0 && m.w[0] == HM_DM_RUNNING, "devmgr still serves; driver still running");
    fault_right((hm_handle_t)dm, (hm_handle_t)fdm, (hm_handle_t)odm, page);

    /* isolation: a driver-like process with one page and one IRQ resource */
    long mmio = hm_mem_device(hm_start_handle("root"), 0x0a003000, 4096);
    long irqres = hm_resource_create(hm_start_handle("root"), HM_RES_IRQ, 79, 1);
    const char *hargv[] = { "kt_helper", "nomap", NULL };
    struct hm_spawn_handle hh[2] = { { "mmio", (hm_handle_t)mmio, HM_R_READ | HM_R_MAP },
                                     { "irqres", (hm_handle_t)irqres, HM_R_MANAGE } };
    long h = hm_spawn("kt_helper", hargv, hh, 2, HM_HANDLE_INVALID, HM_PRIO_MAX - 3);
    KT_EQ(kt_wait((hm_handle_t)h, 2000), 0, "a container cannot map MMIO it was not granted");
    hm_proc_kill((hm_handle_t)dmp);

    /* a container that faults at every start, and one that exits at every
     * start (no fault: devmgr notices the exit): devmgr restarts it, backs
     * off, and after 5 quick repeats gives up (failed, 5 restarts) */
    msi_container(hs);
    gives_up(hs, "conf=devices-crash.conf", "ndc9", "faults");
    gives_up(hs, "conf=devices-exit.conf", "ndc9", "exits");
    /* a Linux driver container whose board quota is smaller than Linux's
     * region: refused its memory (the kernel logs it), it exits */
    gives_up(hs, "conf=devices-small.conf", "ldc9", "runs out of its memory quota");
    return kt_finish();
}
