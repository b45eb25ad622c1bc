/* Minimal harness for QEMU system tests. Each case prints one line the
 * runner (tests/run.py) parses: "ok - group: case" or
 * "not ok - group: case: detail"; kt_finish() prints "# done group". */
#ifndef KTEST_H
#define KTEST_H
#include <hm/hm.h>
#include <hm/prio.h>
#include <stdio.h>

void kt_init(const char *group);
void kt_report(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kt_finish(void);

#define KT_CHECK(cond, name) kt_report(!!(cond), name, "%s", #cond)
/* a call's result must equal the expected value (errors are negative HM_E*) */
#define KT_EQ(got, want, name) do { long _g = (long)(got), _w = (long)(want); \
    kt_report(_g == _w, name, "got %ld (%s), want %ld (%s)", _g, hm_strerror(_g), _w, hm_strerror(_w)); } while (0)
#define KT_OK(got, name) do { long _g = (long)(got); \
    kt_report(_g >= 0, name, "failed: %ld (%s)", _g, hm_strerror(_g)); } while (0)

/* start tests/system/kt_helper in MODE with extra args; it gets "console",
 * "bootimg", "root" and the given handles; supervised by sup (or none) */
long kt_spawn(const char *mode, const char *arg, const struct hm_spawn_handle *hs, int nh, hm_handle_t sup);
/* start vfs and devmgr (board devices.conf) as init does, two checks:
 * *vfs and *dm are client (send-only) handles to them; *dm carries the
 * fault right (badge HM_DM_BADGE_FAULT), as the shell's "dm-fault" */
void kt_start_services(hm_handle_t *vfs, hm_handle_t *dm);
/* kernel counter by name from hm_klog_stats, or -1 (none, or not counted here) */
long kt_stat(const char *name);
/* wait for a process to exit; returns its status or a large negative on timeout */
long kt_wait(hm_handle_t p, uint64_t ms);
#endif
