/* lsdev: every device devmgr knows, its driver, container and state.
 * Uses the "dm" handle (devmgr's endpoint). */
#include <hm/hm.h>
#include <hm/dm.h>
#include <stdio.h>
#include <string.h>

static const char *const states[] = { "unassigned", "running", "faulted", "failed" };

int main(void)
{
    hm_handle_t dm = hm_start_handle("dm");
    static struct hm_ipc_buf buf;
    if (dm < 0) {
        printf("lsdev: no device manager handle\n");
        return 1;
    }
    hm_ipc_buf_set(&buf);
    printf("%-24s %-22s %-9s %-12s %-9s %s\n", "DEVICE", "COMPATIBLE", "KIND", "DRIVER", "CONTAINER", "STATE");
    for (uint64_t i = 0;; i++) {
        struct hm_msg m = { .tag = HM_TAG(HM_DM_LSDEV, 0, 0), .w = { i } };
        long r = hm_call(dm, &m);
        if (r < 0) {
            printf("lsdev: device manager: %s\n", hm_strerror(r));
            return 1;
        }
        if (HM_TAG_LABEL(m.tag))
            break;
        struct hm_dm_dev d;
        memcpy(&d, buf.words, sizeof d);
        d.name[31] = d.compatible[31] = d.kind[15] = d.driver[23] = d.container[15] = 0;
        printf("%-24s %-22s %-9s %-12s %-9s %s (irq %lu, restarts %lu)\n", d.name, d.compatible, d.kind,
               d.driver[0] ? d.driver : "-", d.container[0] ? d.container : "-",
               m.w[0] < 4 ? states[m.w[0]] : "?", (unsigned long)m.w[2], (unsigned long)m.w[3]);
    }
    return 0;
}
