/* A driver container that faults right after it starts (for kt_dm: the
 * device manager must record the fault and stop it). Not a test itself. */
#include <hm/hm.h>

int main(void)
{
    if (hm_start_handle("mmio") < 0)
        return 1;   /* not started as a container */
    volatile int *volatile bad = (volatile int *)0x8;
    *bad = 1;
    return 0;
}
