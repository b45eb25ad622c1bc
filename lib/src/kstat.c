/* One counter of the kernel's statistics line (hm_klog_stats): space-
 * separated "name=value" fields. */
#include <hm/hm.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hm_kstat_field(const char *stats, const char *name, uint64_t *value)
{
    size_t l = strlen(name);
    for (const char *p = stats; (p = strstr(p, name)); p += l)
        if ((p == stats || p[-1] == ' ') && p[l] == '=') {
            if (p[l + 1] < '0' || p[l + 1] > '9')
                return -ENOENT;   /* "-": not counted here */
            *value = strtoull(p + l + 1, NULL, 10);
            return 0;
        }
    return -ENOENT;
}
