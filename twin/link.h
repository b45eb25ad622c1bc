/*
 * A twin's link to its LDC (both twins): the link thread alone calls the
 * LDC, so that a slow or dead LDC never stops the data plane. It carries
 *   - I/O error reports: the data plane keeps the failed request
 *     (tl_error, as serve.c's ops->error), the LDC gives Linux's verdict
 *     (HM_DC_TWIN_ERROR): an errno, or EAGAIN to send it again (vs_retry);
 *     a report without an answer in 2 s completes as EIO;
 *   - events (HM_DC_TWIN_EVENT): a configuration change, or an interrupt
 *     for Linux's driver, whose answer (Linux handled it, or not) comes
 *     back to the data plane as TL_EVENT_DONE_BIT;
 *   - a new LDC's endpoint after a hand-off (tl_set_ldc).
 * The data plane's notification gets TL_VERDICT_BIT, TL_TIMEOUT_BIT and
 * TL_EVENT_DONE_BIT; it passes them to tl_bits.
 */
#ifndef TWIN_LINK_H
#define TWIN_LINK_H
#include "serve.h"

#define TL_VERDICT_BIT    4ull
#define TL_TIMEOUT_BIT    8ull
#define TL_EVENT_DONE_BIT 16ull

/* who: the program's name for logs, name: its device; dnotif: the data
 * plane's notification. 0 or -1 (no thread or timer) */
int tl_start(const char *who, const char *name, hm_handle_t dnotif, int prio);
/* the LDC's endpoint (from a hand-off): the link thread takes it */
void tl_set_ldc(hm_handle_t ldc);
/* serve.c's ops->error: report a failed request (data-plane thread) */
int tl_error(struct vs_session *s, const struct vs_req *rq, uint32_t status);
/* send an event (HM_TWIN_EV_*) to the LDC; for HM_TWIN_EV_IRQ the data
 * plane later gets TL_EVENT_DONE_BIT and tl_event_result says how it went */
void tl_event(int kind);
int tl_event_result(void);   /* 0: Linux handled it; a negative errno: not */
/* the data plane's other bits (verdicts, time-outs) */
void tl_bits(uint64_t bits);
#endif
