/*
 * Whose device a container's request names (hm/dm.h: "every request acts
 * on that container's own devices"): the device at an address, and the
 * refusal of a request about another container's. nodes.c and twin.c ask;
 * this file asks nobody.
 */
#include "devmgr.h"
#include <errno.h>
#include <stdio.h>

/* device d is the one `where` names (as device_of's) */
int dm_dev_is_at(const struct dm_dev *d, uint64_t where)
{
    if (where & HM_DM_WHERE_PCI)
        return d->host >= 0 && d->bdf == (where & 0xffff) && dm_devs[d->host].domain == (int)((where >> 16) & 0xffff);
    return d->host < 0 && d->phys == where;
}

/* the refusal of a request by container ct about the device at `where`,
 * which is not one of its own: EPERM (and a log line) if it is another
 * container's, EINVAL if no device is there */
int dm_not_mine(int ct, uint64_t where, const char *what)
{
    /* a PCI address is in the caller's own Linux's numbering (domains
     * count from 0 in every container): it can never name another's */
    for (int i = 0; !(where & HM_DM_WHERE_PCI) && i < dm_ndevs; i++)
        if (dm_devs[i].ct >= 0 && dm_devs[i].ct != ct && dm_dev_is_at(&dm_devs[i], where)) {
            dm_refusal_log(ct, what, &dm_devs[i]);
            return -EPERM;
        }
    return -EINVAL;
}

/* one line per refusal of a request about another container's device, the
 * first few per container only: a container looping on them must not
 * flood the console (or keep devmgr's main thread printing) */
void dm_refusal_log(int ct, const char *what, const struct dm_dev *d)
{
    int n = __atomic_fetch_add(&dm_cts[ct].refusals, 1, __ATOMIC_SEQ_CST);
    if (n < DM_REFUSALS_LOGGED)
        printf("devmgr: %s: %s for %s, a device of %s's: refused%s\n", dm_cts[ct].name, what, d->info.name,
               d->ct >= 0 ? dm_cts[d->ct].name : "no container", n + 1 == DM_REFUSALS_LOGGED ? " (no more logged)" : "");
}
