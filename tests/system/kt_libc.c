/* The user runtime: picolibc's stdio, heap and string functions on hm,
 * thread-local storage per thread, the malloc lock under threads, and whole
 * console lines from threads printing at once (the host checks them). */
#include "ktest.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static __thread int tls_value = 5;
static volatile int thread_saw[2];

static void *tls_thread(void *a)
{
    int idx = (int)(uintptr_t)a;
    thread_saw[idx] = tls_value;   /* the initial value, not main's */
    tls_value = 100 + idx;
    errno = 200 + idx;
    hm_thread_yield();
    if (tls_value != 100 + idx || errno != 200 + idx)
        thread_saw[idx] = -1;
    return NULL;
}

static volatile int malloc_ok[2];
static void *malloc_thread(void *a)
{
    int idx = (int)(uintptr_t)a, ok = 1;
    for (int i = 0; i < 500 && ok; i++) {
        char *p = malloc(64 + (size_t)(i % 7) * 32);
        if (!p) {
            printf("# thread %d: malloc failed at iteration %d\n", idx, i);
            ok = 0;
            break;
        }
        memset(p, idx + 1, 64);
        if (i % 3 == 0)
            hm_thread_yield();
        for (int j = 0; j < 64 && ok; j++)
            if (p[j] != idx + 1) {
                printf("# thread %d: block %p overwritten at %d (iteration %d)\n", idx, (void *)p, j, i);
                ok = 0;
            }
        free(p);
    }
    malloc_ok[idx] = ok ? 1 : -1;
    return NULL;
}

/* two threads build their lines a character at a time, yielding to each
 * other after each one: every line must reach the console whole
 * (tests/scenarios/programs.py reads them) */
#define CON_LINES 8
#define CON_CHARS 40
static volatile int con_done[2];
static void *console_thread(void *a)
{
    int idx = (int)(uintptr_t)a;
    for (int l = 0; l < CON_LINES; l++) {
        printf("# console line %d of thread %d: ", l, idx);
        for (int i = 0; i < CON_CHARS; i++) {
            putchar('a' + idx);
            hm_thread_yield();
        }
        putchar('\n');
    }
    con_done[idx] = 1;
    return NULL;
}

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void)
{
    kt_init("libc");
    char buf[64];
    snprintf(buf, sizeof buf, "%d %s %05x %.2f", -42, "hm", 0xbeef, 3.25);
    KT_CHECK(!strcmp(buf, "-42 hm 0beef 3.25"), "snprintf formats (including floating point)");
    KT_EQ(strtol("-1234", NULL, 10), -1234, "strtol");
    int v[5] = { 5, 3, 9, 1, 7 };
    qsort(v, 5, sizeof v[0], cmp);
    KT_CHECK(v[0] == 1 && v[4] == 9, "qsort");

    char *a = malloc(1000);
    KT_CHECK(a != NULL, "malloc");
    memset(a, 'x', 1000);
    a = realloc(a, 5000);
    KT_CHECK(a && a[999] == 'x', "realloc keeps contents");
    free(a);
    void *big = malloc(64u << 20);
    KT_CHECK(big == NULL, "malloc beyond the heap returns NULL");
    KT_CHECK(malloc(100) != NULL, "heap usable after a failed allocation");

    struct hm_thread t0, t1;
    hm_thread_start(&t0, tls_thread, (void *)0, HM_PRIO_MAX - 2, 1);
    hm_thread_start(&t1, tls_thread, (void *)1, HM_PRIO_MAX - 2, 1);
    errno = 7;
    tls_value = 9;
    hm_sleep_until(hm_deadline_ms(20));
    KT_CHECK(thread_saw[0] == 5 && thread_saw[1] == 5, "threads start with the initial TLS values");
    KT_CHECK(tls_value == 9 && errno == 7, "thread-local variables and errno are per thread");

    struct hm_thread m0, m1;
    hm_thread_start(&m0, malloc_thread, (void *)0, HM_PRIO_MAX - 2, 1);
    hm_thread_start(&m1, malloc_thread, (void *)1, HM_PRIO_MAX - 2, 1);
    uint64_t end = hm_deadline_ms(5000);
    while ((!malloc_ok[0] || !malloc_ok[1]) && hm_now() < end)
        hm_sleep_until(hm_deadline_ms(5));
    kt_report(malloc_ok[0] == 1 && malloc_ok[1] == 1, "malloc from two threads at once", "results %d %d", malloc_ok[0], malloc_ok[1]);
    struct hm_thread c0, c1;
    KT_OK(hm_thread_start(&c0, console_thread, (void *)0, HM_PRIO_MAX - 2, 1), "first console thread started");
    KT_OK(hm_thread_start(&c1, console_thread, (void *)1, HM_PRIO_MAX - 2, 1), "second console thread started");
    end = hm_deadline_ms(5000);
    while ((!con_done[0] || !con_done[1]) && hm_now() < end)
        hm_sleep_until(hm_deadline_ms(5));
    KT_CHECK(con_done[0] && con_done[1], "two threads printed their console lines");
    void *pg = hm_alloc_pages(10000, NULL);
    KT_CHECK(pg && ((uintptr_t)pg & 4095) == 0, "hm_alloc_pages returns page-aligned memory");
    return kt_finish();
}
