/*
 * The shell's tools for character devices: hwclock (an RTC), evtest (an
 * input device), watchdog. Each opens the node through vfs and talks to
 * Linux's driver with the calls and ioctl commands a Linux program would
 * use; the command values and structures are Linux's (its uapi headers
 * linux/rtc.h, linux/input.h, linux/watchdog.h), written out here.
 */
#include "sh.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* linux/rtc.h */
struct rtc_time {
    int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
};
#define RTC_RD_TIME  HM_IOC(HM_IOC_READ, 'p', 0x09, sizeof(struct rtc_time))
#define RTC_SET_TIME HM_IOC(HM_IOC_WRITE, 'p', 0x0a, sizeof(struct rtc_time))
/* linux/input.h (64-bit: a struct timeval of two longs) */
struct input_event {
    int64_t sec, usec;
    uint16_t type, code;
    int32_t value;
};
#define EVIOCGNAME(len) HM_IOC(HM_IOC_READ, 'E', 0x06, len)
/* linux/watchdog.h */
#define WDIOC_KEEPALIVE  HM_IOC(HM_IOC_READ, 'W', 5, sizeof(int))
#define WDIOC_SETTIMEOUT HM_IOC(HM_IOC_READ | HM_IOC_WRITE, 'W', 6, sizeof(int))
#define WDIOC_GETTIMEOUT HM_IOC(HM_IOC_READ, 'W', 7, sizeof(int))

static int fail(const char *cmd, const char *what, long e)
{
    printf("sh: %s: %s: %s\n", cmd, what, strerror((int)-e));
    return 1;
}

/* a character device opened with flags, or an error printed: 0 / 1 */
static int open_chr(const char *cmd, struct file *f, const char *path, int flags)
{
    int st = f_open_flags(f, path, flags);
    if (st)
        return fail(cmd, path, st);
    if (f->type != HM_VFS_CHR) {
        f_close(f);
        printf("sh: %s: %s: not a character device\n", cmd, path);
        return 1;
    }
    return 0;
}

/* hwclock [--set "YYYY-MM-DD HH:MM:SS"] [DEV]: the RTC's time in UTC */
int cmd_hwclock(int argc, char **argv)
{
    const char *dev = "/dev/rtc0", *set = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--set") && i + 1 < argc)
            set = argv[++i];
        else if (argv[i][0] == '/')
            dev = argv[i];
        else {
            printf("usage: hwclock [--set \"YYYY-MM-DD HH:MM:SS\"] [DEVICE]\n");
            return 1;
        }
    }
    struct rtc_time t = {0};
    if (set) {
        char end;
        if (sscanf(set, "%d-%d-%d %d:%d:%d%c", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min, &t.tm_sec,
                   &end) != 6) {
            printf("sh: hwclock: \"%s\": want \"YYYY-MM-DD HH:MM:SS\"\n", set);
            return 1;
        }
        t.tm_year -= 1900;
        t.tm_mon -= 1;
        t.tm_isdst = 0;
    }
    struct file f;
    if (open_chr("hwclock", &f, dev, set ? HM_CHR_O_WRONLY : HM_CHR_O_RDONLY))
        return 1;
    long r = hm_chr_ioctl(&f.chr, set ? RTC_SET_TIME : RTC_RD_TIME, &t, 0);
    f_close(&f);
    if (r < 0)
        return fail("hwclock", set ? "RTC_SET_TIME" : "RTC_RD_TIME", r);
    if (!set)
        printf("%04d-%02d-%02d %02d:%02d:%02d\n", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
               t.tm_sec);
    return 0;
}

static const char *ev_type(unsigned type)
{
    static const char *const names[] = { "EV_SYN", "EV_KEY", "EV_REL", "EV_ABS", "EV_MSC", "EV_SW" };
    return type < sizeof names / sizeof names[0] ? names[type] : type == 0x11 ? "EV_LED" : type == 0x14 ? "EV_REP" : "?";
}

/* evtest DEV [SECONDS]: the device's name, then its events until the time
 * is up (default 10 s); sleeps in poll between them */
int cmd_evtest(int argc, char **argv)
{
    char *end = NULL;
    unsigned long secs = argc > 2 ? strtoul(argv[2], &end, 10) : 10;
    if (argc < 2 || argc > 3 || (end && *end) || secs > 3600) {
        printf("usage: evtest DEVICE [SECONDS (at most 3600, default 10)]\n");
        return 1;
    }
    struct file f;
    if (open_chr("evtest", &f, argv[1], HM_CHR_O_RDONLY | HM_CHR_O_NONBLOCK))
        return 1;
    char name[256] = "";
    long r = hm_chr_ioctl(&f.chr, EVIOCGNAME(sizeof name), name, 0);
    if (r < 0) {
        f_close(&f);
        return fail("evtest", "EVIOCGNAME", r);
    }
    name[sizeof name - 1] = 0;
    printf("Input device name: \"%s\"\nTesting ... (interrupt to exit)\n", name);
    fflush(stdout);
    uint64_t end_at = hm_deadline_ms(secs * 1000), events = 0;
    int rc = 0;
    for (;;) {
        uint64_t now = hm_now();
        if (now >= end_at)
            break;
        int ms = (int)((end_at - now) * 1000 / hm_time_freq()) + 1;
        int ready = hm_chr_poll(&f.chr, HM_CHR_POLLIN, ms);
        if (ready < 0) {
            rc = fail("evtest", argv[1], ready);
            break;
        }
        if (!ready)
            break;   /* the time is up */
        struct input_event ev[16];
        long n = hm_chr_read(&f.chr, ev, sizeof ev);
        if (n == -EAGAIN)
            continue;   /* another reader took them */
        if (n < 0) {
            rc = fail("evtest", argv[1], n);
            break;
        }
        for (long i = 0; i < n / (long)sizeof ev[0]; i++, events++) {
            if (ev[i].type == 0)
                printf("Event: time %ld.%06ld, -------------- SYN_REPORT ------------\n", (long)ev[i].sec,
                       (long)ev[i].usec);
            else
                printf("Event: time %ld.%06ld, type %u (%s), code %u, value %d\n", (long)ev[i].sec, (long)ev[i].usec,
                       ev[i].type, ev_type(ev[i].type), ev[i].code, ev[i].value);
        }
        fflush(stdout);
    }
    f_close(&f);
    if (!rc)
        printf("evtest: %lu s passed, %lu events\n", secs, (unsigned long)events);
    return rc;
}

/* watchdog DEV [--timeout S] [--keepalive N] [--close]: set its timeout,
 * keep it alive N times (every half timeout), then close it: with --close
 * the magic character stops it, without it goes on and resets the board
 * when it expires */
int cmd_watchdog(int argc, char **argv)
{
    const char *dev = NULL;
    long timeout = 0, keepalive = 0;
    int magic = 0;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = strtol(argv[++i], &end, 10);
        else if (!strcmp(argv[i], "--keepalive") && i + 1 < argc)
            keepalive = strtol(argv[++i], &end, 10);
        else if (!strcmp(argv[i], "--close"))
            magic = 1;
        else if (argv[i][0] == '/' && !dev)
            dev = argv[i];
        else
            dev = NULL, i = argc;
        if (end && (*end || timeout < 0 || timeout > 3600 || keepalive < 0 || keepalive > 1000)) {
            dev = NULL;
            break;
        }
    }
    if (!dev) {
        printf("usage: watchdog DEVICE [--timeout SECONDS] [--keepalive N] [--close]\n");
        return 1;
    }
    struct file f;
    if (open_chr("watchdog", &f, dev, HM_CHR_O_WRONLY))
        return 1;
    int t = (int)timeout;
    long r = timeout ? hm_chr_ioctl(&f.chr, WDIOC_SETTIMEOUT, &t, 0) : hm_chr_ioctl(&f.chr, WDIOC_GETTIMEOUT, &t, 0);
    if (r < 0) {
        f_close(&f);   /* no magic: it stays armed, as Linux's would */
        return fail("watchdog", timeout ? "WDIOC_SETTIMEOUT" : "WDIOC_GETTIMEOUT", r);
    }
    printf("watchdog: %s armed, timeout %d s\n", dev, t);
    fflush(stdout);
    for (long k = 1; k <= keepalive; k++) {
        hm_sleep_until(hm_deadline_ms((uint64_t)(t > 1 ? t : 2) * 500));
        int dummy = 0;
        r = hm_chr_ioctl(&f.chr, WDIOC_KEEPALIVE, &dummy, 0);
        if (r < 0) {
            f_close(&f);
            return fail("watchdog", "WDIOC_KEEPALIVE", r);
        }
        printf("watchdog: keep-alive %ld of %ld\n", k, keepalive);
        fflush(stdout);
    }
    if (magic) {
        r = hm_chr_write(&f.chr, "V", 1);
        if (r != 1) {
            f_close(&f);
            return fail("watchdog", "magic close", r < 0 ? r : -EIO);
        }
    }
    f_close(&f);
    if (magic)
        printf("watchdog: stopped (magic close)\n");
    else
        printf("watchdog: closed without the magic character: it expires in %d s and resets the board\n", t);
    return 0;
}
