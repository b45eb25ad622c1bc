/* A first program: says hello and shows the kernel's counters. It is what
 * `make run` starts until the shell exists. */
#include <hm/hm.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char stats[512];
    printf("hello from %s: a user process on the hm microkernel\n", argc > 0 ? argv[0] : "?");
    if (hm_klog_stats(stats, sizeof stats) > 0)
        printf("kernel: %s", stats);
    return 0;
}
