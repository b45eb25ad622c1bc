/* A twin's control IPC (ctl.h): one table for vtwin and utwin. */
#include "ctl.h"
#include <hm/twin.h>
#include <errno.h>
#include <stdio.h>

#define PAUSE_WAIT_MS 2000   /* for the device to finish what it has, before a pause */

static const struct tc_twin *tw;

/* HM_TWIN_PAUSE (devmgr): let go of the device for a new LDC's probe */
static int tc_pause(struct hm_srv_req *r)
{
    (void)r;
    if (!tw->serving())
        return -EALREADY;
    static hm_handle_t done = HM_HANDLE_INVALID;
    if (done < 0) {
        long n = hm_notif_create();
        if (n < 0)
            return -ENOMEM;
        done = (hm_handle_t)n;
    }
    uint64_t t0 = hm_now();
    if (vs_pause(done, hm_deadline_ms(PAUSE_WAIT_MS)))
        return -EBUSY;
    tw->release();
    printf("%s: %s: paused for the new LDC's probe (the device's requests finished in %lu us)\n", tw->who, tw->name,
           (unsigned long)((hm_now() - t0) * 1000000 / hm_time_freq()));
    return 0;
}

static int tc_adopt(struct hm_srv_req *r) { return tw->adopt(r); }

/* HM_TWIN_FAULT (devmgr): a crash of the data plane, injected */
static int tc_fault(struct hm_srv_req *r)
{
    (void)r;
    printf("%s: %s: injected crash: the data plane makes a wild access\n", tw->who, tw->name);
    vs_crash();
    return 0;
}
static int tc_attach(struct hm_srv_req *r) { return tw->attach(r); }

/* HM_TWIN_RESIZE (LDC): a disk's new size and read-only state */
static int tc_resize(struct hm_srv_req *r)
{
    vs_resize((int)r->m.w[0], r->m.w[1], (int)r->m.w[2]);
    printf("%s: %s: disk %lu is now %lu bytes%s (from the LDC)\n", tw->who, tw->name, (unsigned long)r->m.w[0],
           (unsigned long)r->m.w[1], r->m.w[2] ? ", read-only" : "");
    return 0;
}

static int tc_detach(struct hm_srv_req *r)
{
    return vs_detach(r->m.badge);
}

/* caller classes: the badge of the handle they call with */
#define TC_LDC     1u   /* HM_TWIN_BADGE_LDC */
#define TC_DM      2u   /* HM_TWIN_BADGE_DM */
#define TC_SESSION 4u   /* a session handle vs_attach minted */
#define TC_OTHER   8u   /* anything else: nobody should hold one */

static uint32_t tc_classify(uint64_t badge)
{
    if (badge == HM_TWIN_BADGE_LDC)
        return TC_LDC;
    if (badge == HM_TWIN_BADGE_DM)
        return TC_DM;
    return badge ? TC_SESSION : TC_OTHER;
}

static const struct hm_srv_op tc_ops[] = {
    /* label            who may ask  handles  handler */
    { HM_TWIN_ADOPT,    TC_DM,       2,       tc_adopt },
    { HM_TWIN_PAUSE,    TC_DM,       0,       tc_pause },
    { HM_TWIN_FAULT,    TC_DM,       0,       tc_fault },
    { HM_TWIN_ATTACH,   TC_LDC,      2,       tc_attach },
    { HM_TWIN_RESIZE,   TC_LDC,      0,       tc_resize },
    { HM_BLK_DETACH,    TC_SESSION,  0,       tc_detach },
};

long tc_run(const struct tc_twin *t)
{
    static struct hm_ipc_buf ipcbuf;
    tw = t;
    struct hm_srv srv = { .ep = t->ep, .ops = tc_ops, .nops = sizeof tc_ops / sizeof tc_ops[0],
                          .classify = tc_classify, .buf = &ipcbuf };
    return hm_srv_run(&srv);
}
