/*
 * devices.conf, the board file that says which container drives which
 * kind of device (boards/BOARD/devices.conf; another with devmgr's
 * argument "conf=NAME"). One line per kind:
 *   driver KIND DRIVER CONTAINER PROGRAM [TWIN]
 * KIND as lsdev shows it (block, pci-host, ...), DRIVER the name lsdev
 * shows, CONTAINER the container's name (lines naming the same one share
 * it), PROGRAM what runs the container (ldc, ndc), TWIN the program that
 * takes a virtio-blk device's data plane once the container probed it.
 * A PCI function goes wherever its host goes.
 *   node NAME KIND
 * a character device Linux makes on no device of the board (its hw_random
 * core's "hwrng") is published as /dev/NAME by the container that drives
 * the KIND device (listed under it); other such nodes (Linux's null, zero,
 * random...) stay inside their container.
 *   pci-id DRIVER VENDOR DEVICE
 * the container whose Linux enumerates a function with that ID (hex) adds
 * the ID to Linux's driver DRIVER before it reports ready, as writing
 * "VENDOR DEVICE" to /sys/bus/pci/drivers/DRIVER/new_id would: for a
 * driver whose ID table lacks a device it can drive (Linux 6.1's ufshcd
 * and QEMU's UFS controller). A driver that already lists the ID keeps its
 * own entry (linux-arch-hm/kernel/pci_ids.c).
 *   limits CONTAINER|* [memory=SIZE] [dma=SIZE] [handles=N] [threads=N] [endpoints=N]
 * the container's kernel quota (SIZE: bytes, or with K or M): what it may
 * hold at once, its image and stack not counted (they are devmgr's); "*"
 * for containers no line names. A kind not given is not limited; a
 * container no line covers is bounded only by devmgr's own quota.
 *   args CONTAINER WORD...
 * words added to the container program's arguments at each start (at most
 * 4, each under 32 bytes): DC-base's "ram=MIB" sizes Linux's region.
 */
#include "devmgr.h"
#include <hm/bootimg.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

/* the container named so, made on first mention; -1 if there are too many
 * or the name was given another program */
static int container_named(const char *name, const char *program)
{
    for (int i = 0; i < dm_ncts; i++) {
        if (strcmp(dm_cts[i].name, name))
            continue;
        if (strcmp(dm_cts[i].program, program)) {
            printf("devmgr: container %s runs %s, not %s: line ignored\n", name, dm_cts[i].program, program);
            return -1;
        }
        return i;
    }
    if (dm_ncts == DM_MAX_CTS) {
        printf("devmgr: more than %d containers: %s not started\n", DM_MAX_CTS, name);
        return -1;
    }
    struct dm_ct *c = &dm_cts[dm_ncts];
    dm_copy_str(c->name, sizeof c->name, name);
    dm_copy_str(c->program, sizeof c->program, program);
    c->proc = c->ep = c->fault_mem = c->sb_proc = c->sb_ep = HM_HANDLE_INVALID;
    return dm_ncts++;
}

#define MAX_VIRTUAL_NODES 8
static struct {
    char name[HM_DM_NAME_MAX], kind[16];
} virtual_nodes[MAX_VIRTUAL_NODES];
static int nvirtual;

static void node_line(const char *line)
{
    char name[HM_DM_NAME_MAX], kind[16], end;
    if (sscanf(line, "node %31s %15s %c", name, kind, &end) != 2 || nvirtual == MAX_VIRTUAL_NODES) {
        printf("devmgr: bad line \"%s\" (want: node NAME KIND; at most %d): ignored\n", line, MAX_VIRTUAL_NODES);
        return;
    }
    dm_copy_str(virtual_nodes[nvirtual].name, sizeof virtual_nodes[nvirtual].name, name);
    dm_copy_str(virtual_nodes[nvirtual].kind, sizeof virtual_nodes[nvirtual].kind, kind);
    nvirtual++;
}

struct dm_dev *dm_conf_virtual_node(int ct, const char *name)
{
    for (int v = 0; v < nvirtual; v++) {
        if (strcmp(virtual_nodes[v].name, name))
            continue;
        for (int i = 0; i < dm_ndevs; i++)
            if (dm_devs[i].ct == ct && !strcmp(dm_devs[i].info.kind, virtual_nodes[v].kind))
                return &dm_devs[i];
    }
    return NULL;
}

int dm_conf_list_nodes(void *fdt, int ct)
{
    for (int v = 0; v < nvirtual; v++) {
        if (!dm_conf_virtual_node(ct, virtual_nodes[v].name))
            continue;
        int chosen = fdt_path_offset(fdt, "/chosen");
        if (chosen < 0)
            chosen = fdt_add_subnode(fdt, 0, "chosen");
        int err = chosen < 0 ? chosen : fdt_appendprop_string(fdt, chosen, "hm,nodes", virtual_nodes[v].name);
        if (err)
            return err;
    }
    return 0;
}

#define MAX_LIMITS 8
static struct {
    char name[HM_DM_CT_NAME_MAX];
    uint64_t limit[HM_QUOTA_N];
} limit_lines[MAX_LIMITS];
static int nlimits;

static const char *const quota_key[HM_QUOTA_N] = { "memory", "dma", "handles", "threads", "endpoints" };

/* "VALUE[K|M]" -> 0, or -1 if it is not a number */
static int parse_amount(const char *s, int sized, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    if (sized && (*end == 'K' || *end == 'M')) {
        v <<= *end == 'K' ? 10 : 20;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

/* "limits CONTAINER|* key=value...": kept until the containers are known */
static void limits_line(char *line)
{
    char *save, *word = strtok_r(line, " \t", &save);
    char *name = strtok_r(NULL, " \t", &save);
    if (!name || strlen(name) >= HM_DM_CT_NAME_MAX || nlimits == MAX_LIMITS) {
        printf("devmgr: bad limits line (want: limits CONTAINER|* key=value...; at most %d): ignored\n", MAX_LIMITS);
        return;
    }
    uint64_t limit[HM_QUOTA_N];
    for (int k = 0; k < HM_QUOTA_N; k++)
        limit[k] = HM_QUOTA_UNLIMITED;
    while ((word = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(word, '=');
        int k = 0;
        if (eq) {
            *eq = 0;
            while (k < HM_QUOTA_N && strcmp(word, quota_key[k]))
                k++;
        }
        if (!eq || k == HM_QUOTA_N || parse_amount(eq + 1, k <= HM_QUOTA_DMA, &limit[k])) {
            printf("devmgr: limits %s: bad \"%s\" (keys: memory, dma, handles, threads, endpoints): line ignored\n",
                   name, word);
            return;
        }
    }
    dm_copy_str(limit_lines[nlimits].name, sizeof limit_lines[nlimits].name, name);
    memcpy(limit_lines[nlimits].limit, limit, sizeof limit);
    nlimits++;
}

/* "args CONTAINER WORD...": kept until the containers are known */
#define MAX_ARGS_LINES 8
static struct {
    char name[HM_DM_CT_NAME_MAX];
    char words[DM_CT_MAX_ARGS][32];
    int n;
} args_lines[MAX_ARGS_LINES];
static int nargs;

static void args_line(char *line)
{
    char *save, *word = strtok_r(line, " \t", &save);
    char *name = strtok_r(NULL, " \t", &save);
    if (!name || strlen(name) >= HM_DM_CT_NAME_MAX || nargs == MAX_ARGS_LINES) {
        printf("devmgr: bad args line (want: args CONTAINER WORD...; at most %d lines): ignored\n", MAX_ARGS_LINES);
        return;
    }
    int n = 0;
    while ((word = strtok_r(NULL, " \t", &save))) {
        if (n == DM_CT_MAX_ARGS || strlen(word) >= sizeof args_lines[0].words[0]) {
            printf("devmgr: args %s: more than %d words, or one of 32 bytes or more: line ignored\n", name,
                   DM_CT_MAX_ARGS);
            return;
        }
        dm_copy_str(args_lines[nargs].words[n++], sizeof args_lines[0].words[0], word);
    }
    dm_copy_str(args_lines[nargs].name, sizeof args_lines[nargs].name, name);
    args_lines[nargs++].n = n;
}

/* each container's extra arguments: its last args line */
static void apply_args(void)
{
    for (int i = 0; i < dm_ncts; i++)
        for (int l = 0; l < nargs; l++)
            if (!strcmp(args_lines[l].name, dm_cts[i].name)) {
                dm_cts[i].nargs = args_lines[l].n;
                memcpy(dm_cts[i].args, args_lines[l].words, sizeof dm_cts[i].args);
            }
}

/* "standby CONTAINER": it keeps a standby booted (standby.c) */
#define MAX_STANDBY_LINES DM_MAX_CTS
static char standby_lines[MAX_STANDBY_LINES][HM_DM_CT_NAME_MAX];
static int nstandby;
int dm_standby_off;   /* devmgr's argument standby=off: the board's standby lines are ignored */

static void standby_line(const char *line)
{
    char name[HM_DM_CT_NAME_MAX], end;
    if (sscanf(line, "standby %15s %c", name, &end) != 1 || nstandby == MAX_STANDBY_LINES) {
        printf("devmgr: bad line \"%s\" (want: standby CONTAINER; at most %d lines): ignored\n", line,
               MAX_STANDBY_LINES);
        return;
    }
    dm_copy_str(standby_lines[nstandby++], sizeof standby_lines[0], name);
}

/* only DC-base (ldc) knows how to wait as a standby */
static void apply_standby(void)
{
    for (int l = 0; l < nstandby; l++) {
        int ct = dm_ct_find(standby_lines[l]);
        if (ct < 0)
            printf("devmgr: standby %s: no such container: ignored\n", standby_lines[l]);
        else if (strcmp(dm_cts[ct].program, "ldc"))
            printf("devmgr: standby %s: it runs %s; only a Linux driver container (ldc) can stand by: ignored\n",
                   standby_lines[l], dm_cts[ct].program);
        else if (dm_standby_off)
            printf("devmgr: standby %s: off (standby=off): its restarts start cold\n", standby_lines[l]);
        else
            dm_cts[ct].standby = 1;
    }
}

/* each container's quota: its own line, else "*", else none */
static void apply_limits(void)
{
    for (int i = 0; i < dm_ncts; i++) {
        struct dm_ct *c = &dm_cts[i];
        int best = -1;
        for (int l = 0; l < nlimits; l++)
            if (!strcmp(limit_lines[l].name, c->name) || (best < 0 && !strcmp(limit_lines[l].name, "*")))
                best = l;
        c->limited = best >= 0;
        if (c->limited)
            memcpy(c->limit, limit_lines[best].limit, sizeof c->limit);
        else
            printf("devmgr: %s: no limits line: its quota is devmgr's\n", c->name);
    }
}

/* "pci-id DRIVER VENDOR DEVICE": marks the functions with that ID */
static void pci_id_line(const char *line)
{
    char driver[24], end;
    unsigned vendor, device;
    if (sscanf(line, "pci-id %23s %x %x %c", driver, &vendor, &device, &end) != 3 || vendor > 0xffff ||
        device > 0xffff || vendor == 0xffff) {
        printf("devmgr: bad line \"%s\" (want: pci-id DRIVER VENDOR DEVICE, hex IDs): ignored\n", line);
        return;
    }
    for (int i = 0; i < dm_ndevs; i++)
        if (dm_devs[i].host >= 0 && dm_devs[i].pci_id == (device << 16 | vendor))
            dm_copy_str(dm_devs[i].id_for, sizeof dm_devs[i].id_for, driver);
}

/* Read devices.conf (or the file named by devmgr's "conf=NAME"): each
 * device the board has gets its driver and container. */
void dm_conf_load(const char *file)
{
    const void *conf;
    size_t len;
    if (hm_bootimg_find(hm_bootimg(NULL), file, &conf, &len)) {
        printf("devmgr: no %s in the boot image: no drivers started\n", file);
        return;
    }
    char *text = malloc(len + 1);
    if (!text)
        return;
    memcpy(text, conf, len);
    text[len] = 0;
    for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char kind[16], driver[24], name[HM_DM_CT_NAME_MAX], program[32], twin[32] = "";
        if (line[0] == '#')
            continue;
        if (!strncmp(line, "pci-id ", 7)) {
            pci_id_line(line);
            continue;
        }
        if (!strncmp(line, "node ", 5)) {
            node_line(line);
            continue;
        }
        if (!strncmp(line, "limits ", 7)) {
            limits_line(line);
            continue;
        }
        if (!strncmp(line, "standby ", 8)) {
            standby_line(line);
            continue;
        }
        if (!strncmp(line, "args ", 5)) {
            args_line(line);
            continue;
        }
        if (sscanf(line, "driver %15s %23s %15s %31s %31s", kind, driver, name, program, twin) < 4)
            continue;
        for (int i = 0; i < dm_ndevs; i++) {
            struct dm_dev *d = &dm_devs[i];
            if (strcmp(d->info.kind, kind) || d->info.driver[0])
                continue;
            int ct = container_named(name, program);
            if (ct < 0)
                break;
            dm_copy_str(d->info.driver, sizeof d->info.driver, driver);
            d->ct = ct;
            if (twin[0] && !((!strcmp(kind, "block") && d->node >= 0) || !strcmp(kind, "ufs-host")))
                printf("devmgr: %s: a twin takes only virtio-blk and UFS data planes: %s ignored\n", d->info.name,
                       twin);
            else
                dm_copy_str(d->twin, sizeof d->twin, twin);
        }
    }
    free(text);
    /* a PCI function is driven where its host is: that container's Linux
     * enumerates the whole bus */
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        if (d->host < 0)
            continue;
        int hct = dm_devs[d->host].ct;
        if (d->ct >= 0 && d->ct != hct)
            printf("devmgr: %s sits behind %s: it goes where its host goes\n", d->info.name, dm_devs[d->host].info.name);
        d->ct = hct;
        if (hct < 0)
            d->info.driver[0] = 0;   /* no container enumerates its bus */
    }
    apply_limits();
    apply_args();
    apply_standby();
    for (int i = 0; i < dm_ndevs; i++)
        if (dm_devs[i].ct >= 0)
            dm_copy_str(dm_devs[i].info.container, sizeof dm_devs[i].info.container, dm_cts[dm_devs[i].ct].name);
    /* the domain the container's Linux gives each of its hosts: the tree's
     * "linux,pci-domain", or else the next number in probe (tree) order */
    for (int i = 0; i < dm_ndevs; i++) {
        struct dm_dev *d = &dm_devs[i];
        if (d->node < 0 || strcmp(d->info.kind, "pci-host"))
            continue;
        int len;
        const fdt32_t *v = fdt_getprop(dm_board, d->node, "linux,pci-domain", &len);
        d->domain = 0;
        for (int j = 0; j < i && !(v && len == 4); j++)
            d->domain += dm_devs[j].ct == d->ct && dm_devs[j].node >= 0 && !strcmp(dm_devs[j].info.kind, "pci-host");
        if (v && len == 4)
            d->domain = (int)fdt32_to_cpu(v[0]);
    }
}
