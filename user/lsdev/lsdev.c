/* lsdev: every device devmgr knows, its driver, container and state.
 * Uses the "dm" handle (devmgr's endpoint). */
#include <hm/hm.h>
#include <hm/dmclient.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    static struct hm_ipc_buf buf;
    hm_handle_t dm = hm_start_handle("dm");
    if (dm < 0) {
        printf("lsdev: no device manager handle\n");
        return 1;
    }
    hm_ipc_buf_set(&buf);
    int st = hm_dm_print(dm, &buf);
    if (st)
        printf("lsdev: device manager: %s\n", strerror(-st));
    return st != 0;
}
