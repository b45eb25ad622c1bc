/* Printing the device manager's device list (lsdev program and shell). */
#include <hm/hm.h>
#include <hm/dm.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* indexed by HM_DM_UNASSIGNED .. HM_DM_RESTARTING */
static const char *const states[] = { "unassigned", "running", "faulted", "failed", "starting", "restarting" };
#define NSTATES (sizeof states / sizeof states[0])

int hm_dm_fault(hm_handle_t dm, struct hm_ipc_buf *buf, const char *container, uint64_t kind, uint64_t arg,
                uint64_t seed, uint64_t *restarts)
{
    size_t len = strlen(container);
    if (len >= 16)
        return ENOENT;   /* no container has so long a name */
    memset(buf->words, 0, 16);
    memcpy(buf->words, container, len + 1);
    struct hm_msg m = { .tag = HM_TAG(HM_DM_FAULT, 2, 0), .w = { kind, arg, seed } };
    long r = hm_call(dm, &m);
    int st = r < 0 ? EIO : (int)HM_TAG_LABEL(m.tag);
    if (!st && restarts)
        *restarts = m.w[0];
    return st;
}

int hm_dm_print(hm_handle_t dm, struct hm_ipc_buf *buf)
{
    printf("%-19s %-22s %-9s %-16s %-9s %-10s %s\n", "DEVICE", "COMPATIBLE", "KIND", "DRIVER", "CONTAINER", "NODE",
           "STATE");
    for (uint64_t i = 0;; i++) {
        struct hm_msg m = { .tag = HM_TAG(HM_DM_LSDEV, 0, 0), .w = { i } };
        long r = hm_call(dm, &m);
        if (r < 0)
            return (int)r;
        if (HM_TAG_LABEL(m.tag))
            return 0;
        struct hm_dm_dev d;
        memcpy(&d, buf->words, sizeof d);
        d.name[31] = d.compatible[31] = d.kind[15] = d.driver[23] = d.container[15] = d.node[15] = 0;
        d.dataplane[7] = 0;
        /* a twin serves its data plane: "virtio_blk (data plane: twin)" */
        char driver[48];
        snprintf(driver, sizeof driver, d.dataplane[0] ? "%s (data plane: %s)" : "%s", d.driver[0] ? d.driver : "-",
                 d.dataplane);
        /* w4: how many nodes the device's container registered; the first is
         * d.node, the others (partitions) are counted: "vda+3" */
        char node[40];
        if (!d.node[0])
            snprintf(node, sizeof node, "-");
        else if (m.w[4] > 1)
            snprintf(node, sizeof node, "%s+%lu", d.node, (unsigned long)(m.w[4] - 1));
        else
            snprintf(node, sizeof node, "%s", d.node);
        /* w5: how many interrupts from w2 on (a PCI host's INTx lines) */
        char irq[48];
        if (!m.w[2])
            snprintf(irq, sizeof irq, "no irq");
        else if (m.w[5] > 1)
            snprintf(irq, sizeof irq, "irq %lu-%lu", (unsigned long)m.w[2], (unsigned long)(m.w[2] + m.w[5] - 1));
        else
            snprintf(irq, sizeof irq, "irq %lu", (unsigned long)m.w[2]);
        printf("%-19s %-22s %-9s %-16s %-9s %-10s %s (%s, restarts %lu)\n", d.name, d.compatible, d.kind,
               driver, d.container[0] ? d.container : "-", node,
               m.w[0] < NSTATES ? states[m.w[0]] : "?", irq, (unsigned long)m.w[3]);
    }
}
