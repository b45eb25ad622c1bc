/* The PMU's retired-instruction count (kstat's instructions=), which
 * `make bench` reads as guest instructions per request. Booted under
 * -icount shift=0 (tests/scenarios/programs.py), where QEMU counts them: a
 * loop of a known number of instructions must add that many, give or take
 * what an interrupt in between costs. The kernel starts the counter 2^16
 * below its 32-bit overflow, so by now the overflow's interrupt has been
 * taken (kstat's pmu_overflows) and counted: had it not been, the total
 * would be near 2^64. */
#include "ktest.h"

#define LOOPS 1000000ul

/* exactly 2 x n instructions: subs and b.ne per iteration */
static void spin(uint64_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n b.ne 1b" : "+r"(n) :: "cc");
}

int main(void)
{
    kt_init("pmu");
    long first = kt_stat("instructions");
    KT_CHECK(first > 0, "kstat counts retired instructions under -icount");
    if (first <= 0)
        return kt_finish();
    long wraps = kt_stat("pmu_overflows");
    kt_report(wraps >= 1 && first > (1l << 16) && first < (1l << 40),
              "the counter's 32-bit overflow was taken by its interrupt and counted",
              "pmu_overflows=%ld instructions=%ld", wraps, first);
    /* what reading the count costs, then the loop on top of it: the least
     * of three, as an interrupt may come in between */
    long cost = -1, loop = -1;
    for (int i = 0; i < 3; i++) {
        long a = kt_stat("instructions"), b = kt_stat("instructions");
        spin(LOOPS);
        long c = kt_stat("instructions");
        if (cost < 0 || b - a < cost)
            cost = b - a;
        if (loop < 0 || c - b < loop)
            loop = c - b;
    }
    long extra = loop - cost - 2 * (long)LOOPS;
    printf("# reading the count costs %ld instructions; the loop added %ld (%+ld)\n", cost, loop - cost, extra);
    kt_report(cost > 0 && extra >= -100 && extra <= 100, "a loop of 2,000,000 instructions adds 2,000,000",
              "reading costs %ld, the loop added %ld (%+ld)", cost, loop - cost, extra);
    return kt_finish();
}
