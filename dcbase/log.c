/*
 * The container's log: Linux's printk console writes here (dc_host_log),
 * and `dmesg` reads it through devmgr (HM_DC_LOG). A ring of bytes with a
 * free-running write offset: readers name an offset and get what is still
 * kept from there on.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_SIZE (64 * 1024)
static char ring[LOG_SIZE];
static volatile uint64_t head;   /* bytes ever written */
static int lock;
int dc_log_echo;

/* Linux's CPU thread and DC-base's own threads (different priorities, one
 * core) both append: a waiter sleeps rather than spins, so a preempted
 * holder of lower priority gets to finish */
static void log_lock(void)
{
    while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
        hm_sleep_until(hm_now() + hm_time_freq() / 10000);
}

void dc_host_log(const char *s, unsigned long len)
{
    /* runs on Linux's CPU thread too (no picolibc TLS): plain stores only */
    log_lock();
    for (unsigned long i = 0; i < len; i++)
        ring[(head + i) % LOG_SIZE] = s[i];
    __asm__ volatile("dmb ish" ::: "memory");
    head += len;
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    if (dc_log_echo)
        hm_console_write(hm_console, s, len);
}

void dc_log_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        dc_host_log(buf, (unsigned long)n < sizeof buf ? (unsigned long)n : sizeof buf - 1);
}

size_t dc_log_read(uint64_t off, char *buf, size_t max, uint64_t *next, uint64_t *oldest)
{
    log_lock();   /* a writer overwrites the oldest bytes before it moves head */
    uint64_t h = head;
    uint64_t first = h > LOG_SIZE ? h - LOG_SIZE : 0;
    if (off < first)
        off = first;
    if (off > h)
        off = h;
    size_t n = h - off < max ? (size_t)(h - off) : max;
    for (size_t i = 0; i < n; i++)
        buf[i] = ring[(off + i) % LOG_SIZE];
    __atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
    *next = off + n;
    *oldest = first;
    return n;
}
