/*
 * What the heartbeat learns about Linux (HM_DC_PING, hm/dc.h): not only
 * that DC-base's thread answers, but whether Linux makes progress.
 *
 * Each ping posts an event (DC_EV_PING) to Linux; Linux takes its events
 * only when it idles, and counts the ping taken (dc_host_alive, from its
 * interrupt delivery). A Linux thread that never lets Linux's one CPU go
 * (a loop, interrupts off or on) leaves it untaken. Block requests Linux
 * took and has not completed (blk.c) show a thread asleep for ever in the
 * block path: the rest of Linux idles on, but none completes.
 *
 * Both are measured in time Linux could have run, not in time: a probe
 * thread at Linux's priority wakes every DC_PROBE_MS and counts a tick
 * only when it gets the CPU. A spinning Linux thread shares its priority
 * with the probe (the microkernel round-robins them), so the ticks go on;
 * a Linux starved by busier threads above it (a client fuzzing the
 * services) makes no progress, but neither does the probe: no ticks, no
 * verdict.
 */
#include "dcbase.h"
#include <dc_host.h>

#define DC_PROBE_MS 100

static uint64_t posted, taken;             /* heartbeat events */
static uint64_t stuck_ticks, stall_ticks;  /* probe ticks with an event untaken; with a request stuck */

void dc_host_alive(void)
{
    __atomic_store_n(&taken, __atomic_load_n(&posted, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
}

static void *probe(void *arg)
{
    (void)arg;
    uint64_t seen_taken = 0, seen_io = 0;
    for (;;) {
        hm_sleep_until(hm_deadline_ms(DC_PROBE_MS));
        uint64_t t = __atomic_load_n(&taken, __ATOMIC_SEQ_CST), p = __atomic_load_n(&posted, __ATOMIC_SEQ_CST);
        /* an event waited a whole tick in which Linux could have run */
        uint64_t stuck = p > t && t == seen_taken ? __atomic_load_n(&stuck_ticks, __ATOMIC_SEQ_CST) + 1 : 0;
        __atomic_store_n(&stuck_ticks, stuck, __ATOMIC_SEQ_CST);
        seen_taken = t;
        uint64_t waiting, progress = dc_blk_progress(&waiting);
        uint64_t stall = waiting && progress == seen_io ? __atomic_load_n(&stall_ticks, __ATOMIC_SEQ_CST) + 1 : 0;
        __atomic_store_n(&stall_ticks, stall, __ATOMIC_SEQ_CST);
        seen_io = progress;
    }
    return NULL;
}

int dc_alive_start(void)
{
    static struct hm_thread t;
    return hm_thread_start(&t, probe, NULL, DC_PRIO_LINUX, 1) < 0 ? -1 : 0;
}

void dc_alive_ping(uint64_t *stuck_ms, uint64_t *stall_ms)
{
    __atomic_add_fetch(&posted, 1, __ATOMIC_SEQ_CST);
    hm_notif_signal(dc_events, DC_EV_PING);
    *stuck_ms = __atomic_load_n(&stuck_ticks, __ATOMIC_SEQ_CST) * DC_PROBE_MS;
    *stall_ms = __atomic_load_n(&stall_ticks, __ATOMIC_SEQ_CST) * DC_PROBE_MS;
}
