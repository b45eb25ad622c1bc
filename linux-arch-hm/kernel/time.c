// SPDX-License-Identifier: GPL-2.0
/*
 * Time: the clocksource and sched_clock read CNTVCT_EL0 (the microkernel
 * lets EL0 read it); the one-shot clockevent is a microkernel timer that
 * signals event bit DC_EV_TIMER.
 */
#include <linux/clocksource.h>
#include <linux/clockchips.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/sched_clock.h>
#include <dc_host.h>
#include "hm.h"

static unsigned long hm_freq;

static inline u64 hm_cntvct(void)
{
	u64 v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static u64 hm_cs_read(struct clocksource *cs)
{
	return hm_cntvct();
}

static struct clocksource hm_cs = {
	.name = "hm-cntvct",
	.rating = 400,
	.read = hm_cs_read,
	.mask = CLOCKSOURCE_MASK(56),
	.flags = CLOCK_SOURCE_IS_CONTINUOUS,
};

static u64 notrace hm_sched_clock(void)
{
	return hm_cntvct();
}

static int hm_ce_next(unsigned long delta, struct clock_event_device *ce)
{
	dc_host_timer_set(hm_cntvct() + delta);
	return 0;
}

static int hm_ce_shutdown(struct clock_event_device *ce)
{
	dc_host_timer_set(~0UL);
	return 0;
}

static struct clock_event_device hm_ce = {
	.name = "hm-timer",
	.features = CLOCK_EVT_FEAT_ONESHOT,
	.rating = 400,
	.set_next_event = hm_ce_next,
	.set_state_shutdown = hm_ce_shutdown,
	.set_state_oneshot = hm_ce_shutdown,
};

void hm_timer_interrupt(void)
{
	if (hm_ce.event_handler)
		hm_ce.event_handler(&hm_ce);
}

void __init time_init(void)
{
	hm_freq = dc_host_time_freq();
	clocksource_register_hz(&hm_cs, hm_freq);
	sched_clock_register(hm_sched_clock, 56, hm_freq);
	hm_ce.cpumask = cpumask_of(0);
	clockevents_config_and_register(&hm_ce, hm_freq, 16, 0x7fffffff);
	preset_lpj = hm_freq / HZ;	/* __delay counts timer ticks */
}

void __delay(unsigned long cycles)
{
	u64 start = hm_cntvct();

	while (hm_cntvct() - start < cycles)
		cpu_relax();
}

/* xloops = microseconds * 2^32 / 10^6 (asm-generic/delay.h) */
void __const_udelay(unsigned long xloops)
{
	__delay((xloops * hm_freq) >> 32);
}

void __udelay(unsigned long usecs)
{
	__delay(usecs * hm_freq / 1000000);
}

void __ndelay(unsigned long nsecs)
{
	__delay(nsecs * hm_freq / 1000000000 + 1);
}
