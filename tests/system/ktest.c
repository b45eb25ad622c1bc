/* Harness for QEMU system tests (see ktest.h). */
#include "ktest.h"
#include <hm/dm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *group;
static int npass, nfail;

void kt_init(const char *g)
{
    group = g;
    printf("# start %s\n", g);
}

void kt_report(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        npass++;
        printf("ok - %s: %s\n", group, name);
        return;
    }
    nfail++;
    printf("not ok - %s: %s: ", group, name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

int kt_finish(void)
{
    printf("# done %s: %d passed, %d failed\n", group, npass, nfail);
    fflush(stdout);
    return nfail ? 1 : 0;
}

long kt_spawn(const char *mode, const char *arg, const struct hm_spawn_handle *hs, int nh, hm_handle_t sup)
{
    const char *argv[] = { "kt_helper", mode, arg, NULL };
    struct hm_spawn_handle all[HM_START_MAX_HANDLES];
    int n = 0;
    all[n++] = (struct hm_spawn_handle){ "bootimg", hm_start_handle("bootimg"), HM_R_READ | HM_R_EXEC | HM_R_MAP | HM_R_GRANT | HM_R_DUP };
    if (hm_start_handle("root") >= 0)
        all[n++] = (struct hm_spawn_handle){ "root", hm_start_handle("root"), HM_R_ALL };
    for (int i = 0; i < nh && n < HM_START_MAX_HANDLES - 2; i++)
        all[n++] = hs[i];
    return hm_spawn("kt_helper", argv, all, n, sup, HM_PRIO_MAX - 3);
}

long kt_stat(const char *name)
{
    char buf[512];
    uint64_t v;
    if (hm_klog_stats(buf, sizeof buf) < 0 || hm_kstat_field(buf, name, &v))
        return -1;
    return (long)v;
}

long kt_wait(hm_handle_t p, uint64_t ms)
{
    int64_t st;
    long r = hm_proc_wait(p, hm_deadline_ms(ms), &st);
    return r < 0 ? -100000 + r : (long)st;
}

void kt_start_services(hm_handle_t *vfs, hm_handle_t *dm)
{
    long vep = hm_ep_create(), dep = hm_ep_create();
    long dmvfs = vep < 0 ? vep : hm_handle_dup((hm_handle_t)vep, HM_R_SEND | HM_R_GRANT, 1);
    const char *vargv[] = { "vfs", NULL }, *dargv[] = { "devmgr", NULL };
    struct hm_spawn_handle vh[1] = { { "vfs", (hm_handle_t)vep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT } };
    KT_OK(hm_spawn("vfs", vargv, vh, 1, HM_HANDLE_INVALID, HM_PRIO_SERVICE), "start vfs");
    struct hm_spawn_handle dh[5] = {
        { "bootimg", hm_start_handle("bootimg"), HM_R_READ | HM_R_EXEC | HM_R_MAP | HM_R_GRANT | HM_R_DUP },
        { "root", hm_start_handle("root"), HM_R_ALL },
        { "dtb", hm_start_handle("dtb"), HM_R_READ | HM_R_MAP },
        { "dm", (hm_handle_t)dep, HM_R_RECV | HM_R_SEND | HM_R_DUP | HM_R_GRANT },
        { "vfs", (hm_handle_t)dmvfs, HM_R_SEND | HM_R_GRANT },
    };
    KT_OK(hm_spawn("devmgr", dargv, dh, 5, HM_HANDLE_INVALID, HM_PRIO_SERVICE), "start devmgr (board devices.conf)");
    *vfs = (hm_handle_t)hm_handle_dup((hm_handle_t)vep, HM_R_SEND, 0);
    *dm = (hm_handle_t)hm_handle_dup((hm_handle_t)dep, HM_R_SEND, HM_DM_BADGE_FAULT);
}
