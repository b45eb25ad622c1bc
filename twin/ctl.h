/*
 * A twin's control IPC (hm/twin.h), the same for every twin: who may ask
 * what (the badge of the handle it calls with), the pause for a new LDC's
 * probe, resizes and detaches. The program supplies what differs: how it
 * takes a hand-off, lets go of it, and takes a client's session.
 */
#ifndef TWIN_CTL_H
#define TWIN_CTL_H
#include "serve.h"

struct tc_twin {
    const char *who, *name;   /* for logs: the program, its device */
    hm_handle_t ep;           /* its endpoint */
    int (*adopt)(struct hm_srv_req *r);    /* HM_TWIN_ADOPT (devmgr) */
    int (*serving)(void);                  /* 1 while it has a device to pause */
    void (*release)(void);                 /* paused: let go of the interrupt and the LDC's memory */
    int (*attach)(struct hm_srv_req *r);   /* HM_TWIN_ATTACH (the LDC) */
};

/* serve control IPC on t->ep until it closes; the error it ended with */
long tc_run(const struct tc_twin *t);
#endif
