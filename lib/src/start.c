/* C start-up: TLS for the first thread, the console streams, main(), exit. */
#include <hm/hm.h>
#include <picotls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char __tls_base[];
extern int main(int argc, char **argv);

static const struct hm_startup *startup;
hm_handle_t hm_console = HM_HANDLE_INVALID;

const struct hm_startup *hm_startup(void) { return startup; }

hm_handle_t hm_start_handle(const char *name)
{
    for (uint32_t i = 0; startup && i < startup->nhandles && i < HM_START_MAX_HANDLES; i++)
        if (!strncmp(startup->handles[i].name, name, HM_START_NAME))
            return startup->handles[i].h;
    return HM_HANDLE_INVALID;
}

/* ---- stdout/stderr: line-buffered writes to the console handle ----
 * Each thread assembles its own line (picolibc's stdio does not lock a
 * stream), so threads of one process printing at once give whole lines, not
 * one buffer written past its end. DC-base's Linux threads have no picolibc
 * TLS (TPIDR_EL0 is 0): they share one line, which is safe because they run
 * one at a time on Linux's one CPU. A flush (a newline, _exit, a read from
 * the console) writes the calling thread's line only. */
#define CON_LINE 256
struct con_line {
    size_t len;
    char buf[CON_LINE];
};
static __thread struct con_line con_own;
static struct con_line con_notls;

static struct con_line *con_line(void)
{
    uint64_t tp;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
    return tp ? &con_own : &con_notls;
}

static int con_flush(FILE *f)
{
    (void)f;
    struct con_line *l = con_line();
    if (l->len && hm_console >= 0)
        hm_console_write(hm_console, l->buf, l->len);
    l->len = 0;
    return 0;
}

static int con_put(char c, FILE *f)
{
    struct con_line *l = con_line();
    l->buf[l->len++] = c;
    if (c == '\n' || l->len == sizeof l->buf)
        con_flush(f);
    return (unsigned char)c;
}

static int con_get(FILE *f)
{
    (void)f;
    char c;
    con_flush(NULL);
    if (hm_console < 0 || hm_console_read(hm_console, &c, 1, HM_DEADLINE_NEVER) != 1)
        return EOF;
    return (unsigned char)c;
}

static FILE con_stream = FDEV_SETUP_STREAM(con_put, con_get, con_flush, _FDEV_SETUP_RW);
FILE *const stdin = &con_stream;
FILE *const stdout = &con_stream;
FILE *const stderr = &con_stream;

void _exit(int status)
{
    con_flush(NULL);
    hm_proc_exit(status);
}

__attribute__((used)) void __hm_start(const struct hm_startup *st)
{
    _set_tls(__tls_base);
    if (st && st->magic == HM_STARTUP_MAGIC)
        startup = st;
    hm_console = hm_start_handle("console");
    int argc = startup ? (int)startup->argc : 0;
    char **argv = startup ? (char **)startup->argv : NULL;
    exit(main(argc, argv));
}
