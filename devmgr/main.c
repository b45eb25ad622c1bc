/*
 * devmgr: the device manager. It reads the board from the device tree
 * (board.c), learns from devices.conf which container drives which device
 * (board_conf.c), starts each container with exactly its devices' memory
 * windows and interrupts and a device tree that describes only them
 * (container.c, dtb_filter.c), supervises it and micro-reboots it when it
 * fails (supervise.c, quiesce.c), hands data planes to twins (twin.c), and
 * publishes the /dev nodes containers register (nodes.c). Its endpoint
 * serves clients (client_conn.c) and containers (container_conn.c): the
 * table below says who may ask what.
 *
 * Handles: "root" (resources), "dtb", "bootimg", "dm" (its endpoint, RECV),
 * "vfs" (optional). Arguments: conf=NAME reads NAME instead of devices.conf;
 * standby=off ignores its standby lines;
 * msi=off gives PCI functions no MSI vectors (their INTx lines serve).
 */
#include "devmgr.h"
#include <libfdt.h>
#include <stdio.h>

struct dm_dev dm_devs[DM_MAX_DEVS];
int dm_ndevs;
struct dm_ct dm_cts[DM_MAX_CTS];
int dm_ncts;
hm_handle_t dm_root, dm_ep, dm_fault_ep, dm_vfs;
const void *dm_board;
int dm_ep_lock, dm_twin_lock;

static uint32_t dm_classify(uint64_t badge)
{
    if (!badge)
        return DM_FROM_CLIENT;
    if (badge == HM_DM_BADGE_FAULT)
        return DM_FROM_FAULTER;
    if (badge >= DM_CONTAINER_BADGE && badge < DM_CONTAINER_BADGE + (uint64_t)dm_ncts)
        return DM_FROM_CONTAINER;
    return DM_FROM_OTHER;
}

static const struct hm_srv_op dm_ops[] = {
    /* label              who may ask                          handles  handler */
    { HM_DM_LSDEV,        HM_SRV_ANY,                          0,       dm_lsdev },
    { HM_DM_DMESG,        HM_SRV_ANY,                          0,       dm_log_read },
    /* injecting faults stops containers: a right init gives the shell */
    { HM_DM_FAULT,        DM_FROM_FAULTER,                     0,       dm_fault },
    { HM_DM_DMA_FAULT,    DM_FROM_FAULTER,                     1,       dm_dma_fault },
    { HM_DM_REGISTER,     DM_FROM_CONTAINER,                   1,       dm_register },
    { HM_DM_READY,        DM_FROM_CONTAINER,                   0,       dm_ready },
    { HM_DM_RESIZE,       DM_FROM_CONTAINER,                   0,       dm_resize },
    { HM_DM_TWIN,         DM_FROM_CONTAINER,                   2,       dm_twin },
    { HM_DM_TWIN_PAUSE,   DM_FROM_CONTAINER,                   0,       dm_twin_pause_req },
    { HM_DM_MSI,          DM_FROM_CONTAINER,                   0,       dm_msi },
    { HM_DM_DMA_MAP,      DM_FROM_CONTAINER,                   1,       dm_dma_map },
    { HM_DM_DMA_UNMAP,    DM_FROM_CONTAINER,                   0,       dm_dma_unmap },
};

int main(int argc, char **argv)
{
    const char *conf = "devices.conf";
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "conf=", 5))
            conf = argv[i] + 5;
        else if (!strcmp(argv[i], "standby=off"))
            dm_standby_off = 1;   /* every restart starts cold (the benchmark's before) */
        else if (!strcmp(argv[i], "msi=off")) {
            dm_msi_off = 1;   /* the board forces INTx (boot-intx.conf) */
            printf("devmgr: PCI functions get no MSI vectors (msi=off)\n");
        }
    dm_root = hm_start_handle("root");
    dm_ep = hm_start_handle("dm");
    dm_vfs = hm_start_handle("vfs");   /* optional: without it no nodes are published */
    hm_handle_t dtb = hm_start_handle("dtb");
    struct hm_mem_info mi;
    long va = dtb < 0 || hm_mem_info(dtb, &mi) < 0 ? -1 : hm_vm_map(HM_HANDLE_SELF_PROC, dtb, 0, mi.size, 0, HM_MAP_R);
    if (dm_root < 0 || dm_ep < 0 || va < 0 || fdt_check_header((const void *)va)) {
        printf("devmgr: needs handles root, dm and a valid dtb\n");
        return 1;
    }
    long fe = hm_ep_create();
    if (fe < 0) {
        printf("devmgr: cannot set up fault handling\n");
        return 1;
    }
    dm_fault_ep = (hm_handle_t)fe;   /* before any container is started with it */
    dm_board = (const void *)va;
    dm_board_scan(dm_board);
    dm_conf_load(conf);
    dm_smmu_start(dm_board);   /* before any container: their DMA is confined from the start */
    if (dm_ct_start_all() < 0) {
        printf("devmgr: cannot set up container restarts: no container started\n");
        return 1;
    }
    /* the containers are known before the supervision threads look at them */
    if (dm_supervise_start() < 0) {
        printf("devmgr: cannot set up fault handling\n");
        return 1;
    }
    static struct hm_ipc_buf buf;
    struct hm_srv srv = { .ep = dm_ep, .ops = dm_ops, .nops = sizeof dm_ops / sizeof dm_ops[0],
                          .classify = dm_classify, .buf = &buf };
    long r = hm_srv_run(&srv);
    printf("devmgr: its endpoint failed (%s): no more requests\n", hm_strerror(r));
    return 1;
}
