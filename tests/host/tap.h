/*
 * Minimal test harness for the host unit tests (tests/host/test_*.c).
 *
 * A test file defines TAP_MODULE, writes each case as `static void f(void)`
 * using the CHECK* macros, and runs them from main():
 *
 *     #define TAP_MODULE "pmm"
 *     #include "tap.h"
 *     static void t_basic(void) { CHECK_EQ(1 + 1, 2); }
 *     int main(void) { TAP_RUN("basic", t_basic); return tap_done(); }
 *
 * One stdout line per case, parsed by the test runner:
 *     ok - <module>: <case>
 *     not ok - <module>: <case>: <detail>
 * The first failing CHECK ends its case (the rest of the case is skipped).
 * A case that performs no CHECK at all is reported as failed, so every case
 * has to assert something. Other stdout lines start with '#'. tap_done()
 * returns the exit status: 0 if every case passed, 1 otherwise.
 */
#ifndef HM_TESTS_HOST_TAP_H
#define HM_TESTS_HOST_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef TAP_MODULE
#error "define TAP_MODULE before including tap.h"
#endif

static int tap_passed, tap_failed;
static int tap_case_failed;
static unsigned long tap_case_checks;
static char tap_detail[512];

__attribute__((format(printf, 3, 4), unused))
static void tap_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* keep the report on one line */
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    snprintf(tap_detail, sizeof tap_detail, "%s:%d: %s", file, line, msg);
    tap_case_failed = 1;
}

/* boolean assertion */
#define CHECK(cond)                                                           \
    do {                                                                      \
        tap_case_checks++;                                                    \
        if (!(cond)) {                                                        \
            tap_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond);          \
            return;                                                           \
        }                                                                     \
    } while (0)

/* integer equality; both sides are evaluated once and printed on failure */
#define CHECK_EQ(a, b)                                                        \
    do {                                                                      \
        tap_case_checks++;                                                    \
        unsigned long long tap_a_ = (unsigned long long)(a);                  \
        unsigned long long tap_b_ = (unsigned long long)(b);                  \
        if (tap_a_ != tap_b_) {                                               \
            tap_fail(__FILE__, __LINE__, "%s == %s failed: %lld (0x%llx) != %lld (0x%llx)", \
                     #a, #b, (long long)tap_a_, tap_a_, (long long)tap_b_, tap_b_); \
            return;                                                           \
        }                                                                     \
    } while (0)

/* pointer equality */
#define CHECK_PTR_EQ(a, b)                                                    \
    do {                                                                      \
        tap_case_checks++;                                                    \
        const void *tap_a_ = (const void *)(a);                               \
        const void *tap_b_ = (const void *)(b);                               \
        if (tap_a_ != tap_b_) {                                               \
            tap_fail(__FILE__, __LINE__, "%s == %s failed: %p != %p",         \
                     #a, #b, tap_a_, tap_b_);                                 \
            return;                                                           \
        }                                                                     \
    } while (0)

/* C string equality */
#define CHECK_STR_EQ(a, b)                                                    \
    do {                                                                      \
        tap_case_checks++;                                                    \
        const char *tap_a_ = (a);                                             \
        const char *tap_b_ = (b);                                             \
        if (!tap_a_ || !tap_b_ || strcmp(tap_a_, tap_b_) != 0) {              \
            tap_fail(__FILE__, __LINE__, "%s == %s failed: \"%s\" != \"%s\"", \
                     #a, #b, tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)"); \
            return;                                                           \
        }                                                                     \
    } while (0)

static void tap_run(const char *name, void (*fn)(void))
{
    tap_case_failed = 0;
    tap_case_checks = 0;
    tap_detail[0] = 0;
    fn();
    if (!tap_case_failed && tap_case_checks == 0) {
        snprintf(tap_detail, sizeof tap_detail, "case performed no checks");
        tap_case_failed = 1;
    }
    if (tap_case_failed) {
        tap_failed++;
        printf("not ok - %s: %s: %s\n", TAP_MODULE, name, tap_detail);
    } else {
        tap_passed++;
        printf("ok - %s: %s\n", TAP_MODULE, name);
    }
    fflush(stdout);
}

#define TAP_RUN(name, fn) tap_run((name), (fn))

static int tap_done(void)
{
    printf("# %s: %d passed, %d failed\n", TAP_MODULE, tap_passed, tap_failed);
    fflush(stdout);
    return tap_failed ? 1 : 0;
}
#endif
