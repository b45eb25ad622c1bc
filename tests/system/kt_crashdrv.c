/* A driver container that faults right after it starts (for kt_dm: the
 * device manager must record the fault and stop it); started as
 * kt_exitdrv (the same program under a second name in the boot image), it
 * exits instead, without a fault. Not a test itself. */
#include <hm/hm.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (hm_start_handle("mmio") < 0)
        return 1;   /* not started as a container */
    if (argc > 0 && !strcmp(argv[0], "kt_exitdrv"))
        return 3;
    volatile int *volatile bad = (volatile int *)0x8;
    *bad = 1;
    return 0;
}
