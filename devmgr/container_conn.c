/*
 * Requests from driver containers, on the "dm" handle devmgr gave each
 * (hm/dm.h). The handle's badge names the container, and every request
 * acts on that container's own devices and nodes only. One handler per
 * request; main.c's table admits containers only.
 */
#include "devmgr.h"
#include <errno.h>

/* the container the caller's "dm" handle names (the table admitted only
 * containers' badges) */
static int caller_ct(const struct hm_srv_req *r)
{
    return (int)(r->m.badge - DM_CONTAINER_BADGE);
}

/* HM_DM_REGISTER: a /dev node of one of its devices (nodes.c) */
int dm_register(struct hm_srv_req *r)
{
    return dm_node_register(caller_ct(r), r);
}

/* HM_DM_READY: it probed its devices and published their nodes */
int dm_ready(struct hm_srv_req *r)
{
    dm_ct_mark_ready(caller_ct(r));
    return 0;
}

/* HM_DM_RESIZE: one of its nodes has a new size */
int dm_resize(struct hm_srv_req *r)
{
    return dm_node_resize(caller_ct(r), r);
}

/* HM_DM_TWIN: hand a device's data plane to its twin (twin.c) */
int dm_twin(struct hm_srv_req *r)
{
    hm_handle_t tep;
    int st = dm_twin_take(caller_ct(r), r, &tep);
    if (st)
        return st;
    r->buf->handles[0] = tep;
    r->reply_handles = 1;
    r->reply_move = 1;
    return 0;
}

/* HM_DM_TWIN_PAUSE: w0 a device it is about to probe (twin.c) */
int dm_twin_pause_req(struct hm_srv_req *r)
{
    return dm_twin_pause(caller_ct(r), r->m.w[0], r->buf);
}
