/*
 * Character device nodes, the host half (hm/chr.h): the nodes Linux
 * announces (dc_host_chr_add) are published through devmgr by blk.c's
 * publisher (dc_chr_publish); a node on none of our devices only if
 * devmgr names it in /chosen hm,nodes (Linux's own null, tty0... stay
 * inside). Files on them: chr.c.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/dm.h>
#include <hm/vfs.h>
#include <libfdt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct dc_chr_node dc_chr_nodes[DC_CHR_MAX_NODES];
/* devmgr's /chosen hm,nodes: the nodes on no device of the board we
 * publish (hwrng) */
static const char *named_nodes;
static int named_len;
static int inside_count;              /* nodes of Linux's own not published (publisher thread) */
static const char *inside_example;

/* ---- nodes (CPU thread announces; the publisher publishes) ---- */

int dc_host_chr_add(int id, const char *name, unsigned long long where)
{
    if (id < 0 || id >= DC_CHR_MAX_NODES || !name[0] || strlen(name) >= HM_DM_NAME_MAX)
        return -EINVAL;
    struct dc_chr_node *n = &dc_chr_nodes[id];
    strcpy(n->name, name);
    n->where = where;
    __asm__ volatile("dmb ish" ::: "memory");
    n->state = 1;
    dc_publish_kick();
    return 0;
}

void dc_host_chr_remove(int id)
{
    if (id >= 0 && id < DC_CHR_MAX_NODES && dc_chr_nodes[id].state)
        dc_chr_nodes[id].state = 3;   /* opens fail from now on; vfs keeps the node (no unregister yet) */
}

int dc_chr_publish_pending(void)
{
    for (int i = 0; i < DC_CHR_MAX_NODES; i++)
        if (dc_chr_nodes[i].state == 1)
            return 1;
    return 0;
}

void dc_chr_named(const void *fdt)
{
    int chosen = fdt_path_offset(fdt, "/chosen");
    named_nodes = chosen < 0 ? NULL : fdt_getprop(fdt, chosen, "hm,nodes", &named_len);
}

/* a node on no device: one devmgr named for us? */
static int named(const char *name)
{
    for (int off = 0; named_nodes && off < named_len; off += (int)strnlen(named_nodes + off, (size_t)(named_len - off)) + 1)
        if (!strncmp(named_nodes + off, name, (size_t)(named_len - off)) && strlen(name) < (size_t)(named_len - off))
            return 1;
    return 0;
}

/* the publisher: register every node announced since (buf: its IPC buffer) */
void dc_chr_publish(struct hm_ipc_buf *buf)
{
    int inside = 0;
    const char *example = NULL;
    for (int i = 0; i < DC_CHR_MAX_NODES; i++) {
        struct dc_chr_node *n = &dc_chr_nodes[i];
        if (n->state != 1)
            continue;
        n->state = 2;
        if (!n->where && !named(n->name)) {
            inside++;   /* still opened by nobody: Linux's own (null, tty0...) */
            example = example ? example : n->name;
            continue;
        }
        if (dc_dm < 0)
            continue;
        int err = dc_publish(buf, n->name, HM_VFS_CHR, 0, n->where, DC_CHR_BADGE | (uint64_t)i);
        if (err == -EPERM)
            dc_log_printf("dcbase: /dev/%s not published: a device of Linux's own the board does not give us\n",
                          n->name);
        else if (err)
            dc_log_printf("dcbase: devmgr did not publish /dev/%s: %s\n", n->name, strerror(-err));
        else
            dc_log_printf("dcbase: /dev/%s published (character device)\n", n->name);
    }
    if (inside && !inside_example)
        inside_example = example;
    inside_count += inside;
}

void dc_chr_report(void)
{
    if (inside_count)
        dc_log_printf("dcbase: %d character devices of Linux's own (%s, ...) not published: on no device of ours\n",
                      inside_count, inside_example);
}
