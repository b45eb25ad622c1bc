/* Client side of the device manager protocol (hm/dmclient.h). */
#include <hm/dmclient.h>
#include <hm/dc.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* indexed by HM_DM_UNASSIGNED .. HM_DM_RESTARTING */
static const char *const states[] = { "unassigned", "running", "faulted", "failed", "starting", "restarting" };
#define NSTATES (sizeof states / sizeof states[0])

const char *hm_dm_state_name(uint64_t state)
{
    return state < NSTATES ? states[state] : "?";
}

/* the fault kinds (hm/dm.h) by the names the shell, devmgr and DC-base use */
static const char *const fault_names[] = {
    [HM_DM_FAULT_CRASH] = "crash", [HM_DM_FAULT_HANG] = "hang", [HM_DM_FAULT_KILL] = "kill",
    [HM_DM_FAULT_LINKRESET] = "linkreset", [HM_DM_FAULT_DMA] = "dma", [HM_DM_FAULT_SPIN] = "spin",
    [HM_DM_FAULT_DEADLOCK] = "deadlock", [HM_DM_FAULT_TWIN] = "twin", [HM_DM_FAULT_STANDBY] = "standby",
};
#define NFAULTS (sizeof fault_names / sizeof fault_names[0])

const char *hm_dm_fault_name(uint64_t kind)
{
    return kind < NFAULTS && fault_names[kind] ? fault_names[kind] : "?";
}

uint64_t hm_dm_fault_kind(const char *name)
{
    for (uint64_t k = 1; k < NFAULTS; k++)
        if (fault_names[k] && !strcmp(name, fault_names[k]))
            return k;
    return 0;
}

/* one call: 0, the reply's status negated, or -EIO if devmgr is unreachable */
static int dm_call(hm_handle_t dm, struct hm_msg *m)
{
    long r = hm_call(dm, m);
    return r < 0 ? -EIO : -(int)HM_TAG_LABEL(m->tag);
}

int hm_dm_lsdev(hm_handle_t dm, struct hm_ipc_buf *buf, uint64_t index, struct hm_dm_row *row)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_LSDEV, 0, 0), .w = { index } };
    int st = dm_call(dm, &m);
    if (st)
        return st;
    if (HM_TAG_NWORDS(m.tag) < HM_DM_DEV_WORDS)
        return -EIO;   /* not the row it promised */
    struct hm_dm_dev *d = &row->dev;
    memcpy(d, buf->words, sizeof *d);
    d->name[sizeof d->name - 1] = d->compatible[sizeof d->compatible - 1] = d->kind[sizeof d->kind - 1] = 0;
    d->driver[sizeof d->driver - 1] = d->container[sizeof d->container - 1] = d->node[sizeof d->node - 1] = 0;
    d->dataplane[sizeof d->dataplane - 1] = d->vectors[sizeof d->vectors - 1] = d->dma[sizeof d->dma - 1] = 0;
    row->state = m.w[0];
    row->phys = m.w[1];
    row->irq = m.w[2];
    row->restarts = m.w[3];
    row->nodes = m.w[4];
    row->nirq = m.w[5];
    return 0;
}

int hm_dm_dmesg(hm_handle_t dm, struct hm_ipc_buf *buf, uint64_t index, uint64_t off, char *out, uint64_t *n,
                uint64_t *next)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_DMESG, 0, 0), .w = { index, off } };
    int st = dm_call(dm, &m);
    if (st)
        return st;
    if (m.w[0] > HM_DC_LOG_CHUNK || m.w[0] > (uint64_t)HM_TAG_NWORDS(m.tag) * 8)
        return -EIO;   /* claims more than it sent */
    memcpy(out, buf->words, m.w[0]);
    *n = m.w[0];
    *next = m.w[1];
    return 0;
}

int hm_dm_fault(hm_handle_t dm, struct hm_ipc_buf *buf, const char *container, uint64_t kind, uint64_t arg,
                uint64_t seed, uint64_t *restarts)
{
    size_t len = strlen(container);
    if (len >= HM_DM_CT_NAME_MAX)
        return -ENOENT;   /* no container has so long a name */
    memset(buf->words, 0, HM_DM_CT_NAME_MAX);
    memcpy(buf->words, container, len + 1);
    struct hm_msg m = { .tag = HM_TAG(HM_DM_FAULT, HM_DM_CT_NAME_MAX / 8, 0), .w = { kind, arg, seed } };
    int st = dm_call(dm, &m);
    if (!st && restarts)
        *restarts = m.w[0];
    return st;
}

int hm_dm_dma_map(hm_handle_t dm, struct hm_ipc_buf *buf, hm_handle_t mem, uint64_t *covered)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_DMA_MAP, 0, 1) };   /* copied: the caller keeps its own */
    buf->handles[0] = mem;
    int st = dm_call(dm, &m);
    if (!st && covered)
        *covered = m.w[0];
    return st;
}

int hm_dm_dma_unmap(hm_handle_t dm, uint64_t phys)
{
    struct hm_msg m = { .tag = HM_TAG(HM_DM_DMA_UNMAP, 0, 0), .w = { phys } };
    return dm_call(dm, &m);
}

int hm_dm_dma_fault(hm_handle_t dm, struct hm_ipc_buf *buf, const char *container, const char *disk, hm_handle_t page,
                    uint64_t *restarts)
{
    size_t len = strlen(container), dlen = strlen(disk);
    if (len >= HM_DM_CT_NAME_MAX || dlen >= 8)
        return -ENOENT;   /* no container (or disk) has so long a name */
    memset(buf->words, 0, HM_DM_CT_NAME_MAX + 8);
    memcpy(buf->words, container, len);
    memcpy((char *)buf->words + HM_DM_CT_NAME_MAX, disk, dlen);
    buf->handles[0] = page;
    struct hm_msg m = { .tag = HM_TAG(HM_DM_DMA_FAULT, (HM_DM_CT_NAME_MAX + 8) / 8, 1) };
    int st = dm_call(dm, &m);
    if (!st && restarts)
        *restarts = m.w[0];
    return st;
}

/* fn on each of devmgr's device rows, in order; 0 or the first error */
static int each_row(hm_handle_t dm, struct hm_ipc_buf *buf, void (*fn)(const struct hm_dm_row *, void *), void *arg)
{
    for (uint64_t i = 0;; i++) {
        struct hm_dm_row row;
        int st = hm_dm_lsdev(dm, buf, i, &row);
        if (st)
            return st == -ENOENT ? 0 : st;
        fn(&row, arg);
    }
}

/* one device's line of the table */
static void print_row(const struct hm_dm_row *row, void *arg)
{
    (void)arg;
    const struct hm_dm_dev *d = &row->dev;
    /* a twin serves its data plane: "virtio_blk (data plane: twin)" */
    char driver[48];
    snprintf(driver, sizeof driver, d->dataplane[0] ? "%s (data plane: %s)" : "%s", d->driver[0] ? d->driver : "-",
             d->dataplane);
    /* the first node and how many more (partitions): "vda+3" */
    char node[40];
    if (!d->node[0])
        snprintf(node, sizeof node, "-");
    else if (row->nodes > 1)
        snprintf(node, sizeof node, "%s+%lu", d->node, (unsigned long)(row->nodes - 1));
    else
        snprintf(node, sizeof node, "%s", d->node);
    /* a PCI host's INTx lines are a range; a function's MSI vectors,
     * when its container holds some, are shown instead of its line */
    char irq[48];
    if (d->vectors[0])
        snprintf(irq, sizeof irq, "%.15s", d->vectors);
    else if (!row->irq)
        snprintf(irq, sizeof irq, "no irq");
    else if (row->nirq > 1)
        snprintf(irq, sizeof irq, "irq %lu-%lu", (unsigned long)row->irq, (unsigned long)(row->irq + row->nirq - 1));
    else
        snprintf(irq, sizeof irq, "irq %lu", (unsigned long)row->irq);
    /* its DMA: ", dma smmu" (confined), ", dma unconfined" */
    char dma[32] = "";
    if (d->dma[0])
        snprintf(dma, sizeof dma, ", dma %.15s", d->dma);
    printf("%-19s %-22s %-9s %-16s %-9s %-12s %s (%s, restarts %lu%s)\n", d->name, d->compatible, d->kind, driver,
           d->container[0] ? d->container : "-", node, hm_dm_state_name(row->state), irq,
           (unsigned long)row->restarts, dma);
}

int hm_dm_print(hm_handle_t dm, struct hm_ipc_buf *buf)
{
    printf("%-19s %-22s %-9s %-16s %-9s %-12s %s\n", "DEVICE", "COMPATIBLE", "KIND", "DRIVER", "CONTAINER", "NODE",
           "STATE");
    return each_row(dm, buf, print_row, NULL);
}

/* "1.5M/48M", "12/256": a quota's use and its limit ("-": none) */
static void quota_cell(char *out, size_t n, uint64_t used, uint64_t limit, int bytes)
{
    char lim[24];
    if (limit == HM_QUOTA_UNLIMITED)
        snprintf(lim, sizeof lim, "-");
    else if (bytes)
        snprintf(lim, sizeof lim, "%luM", (unsigned long)(limit >> 20));
    else
        snprintf(lim, sizeof lim, "%lu", (unsigned long)limit);
    if (bytes)
        snprintf(out, n, "%lu.%luM/%s", (unsigned long)(used >> 20), (unsigned long)((used & 0xfffff) * 10 >> 20), lim);
    else
        snprintf(out, n, "%lu/%s", (unsigned long)used, lim);
}

/* the containers shown so far: each once, on its first device's row */
struct shown {
    char name[16][HM_DM_CT_NAME_MAX];
    int n;
};

static void print_quota(const struct hm_dm_row *row, void *arg)
{
    struct shown *sh = arg;
    const struct hm_dm_dev *d = &row->dev;
    int seen = !d->container[0] || !d->quota_limit[HM_QUOTA_MEM] || sh->n == 16;   /* none, not running, full */
    for (int s = 0; s < sh->n && !seen; s++)
        seen = !strcmp(sh->name[s], d->container);
    if (seen)
        return;
    memcpy(sh->name[sh->n++], d->container, HM_DM_CT_NAME_MAX);
    char cell[HM_QUOTA_N][48];
    for (int k = 0; k < HM_QUOTA_N; k++)
        quota_cell(cell[k], sizeof cell[k], d->quota_used[k], d->quota_limit[k], k <= HM_QUOTA_DMA);
    printf("%-9s %-14s %-14s %-10s %-9s %s\n", d->container, cell[0], cell[1], cell[2], cell[3], cell[4]);
    if (!d->standby_used[HM_QUOTA_MEM])
        return;
    /* its standby, booted ahead (devices.conf "standby"): the same limits */
    for (int k = 0; k < HM_QUOTA_N; k++)
        quota_cell(cell[k], sizeof cell[k], d->standby_used[k], d->quota_limit[k], k <= HM_QUOTA_DMA);
    printf("%-9s %-14s %-14s %-10s %-9s %s\n", " +standby", cell[0], cell[1], cell[2], cell[3], cell[4]);
}

int hm_dm_print_quotas(hm_handle_t dm, struct hm_ipc_buf *buf)
{
    struct shown sh = { .n = 0 };
    printf("%-9s %-14s %-14s %-10s %-9s %s\n", "CONTAINER", "MEMORY", "DMA", "HANDLES", "THREADS", "ENDPOINTS");
    return each_row(dm, buf, print_quota, &sh);
}
