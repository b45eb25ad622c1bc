/*
 * Every IPC label of every protocol header, in one place. The switches are
 * the compile-time check hm/proto.h promises: a prefix or a label that two
 * headers share is a duplicate case value, which does not compile.
 */
#include <hm/proto.h>
#include <stddef.h>
#include <hm/blk.h>
#include <hm/dc.h>
#include <hm/dm.h>
#include <hm/twin.h>
#include <hm/vfs.h>
#include <hm/labels.h>
#include <uapi/hm/syscall.h>

_Static_assert(HM_MSG_FAULT >> 16 == HM_PROTO_KERNEL, "the kernel's messages have the kernel's prefix");

static const char *prefix_name(uint32_t prefix)
{
    switch (prefix) {
    case HM_PROTO_BLK: return "blk";
    case HM_PROTO_VFS: return "vfs";
    case HM_PROTO_DM: return "dm";
    case HM_PROTO_DC: return "dc";
    case HM_PROTO_TWIN: return "twin";
    case HM_PROTO_KERNEL: return "kernel";
    default: return NULL;
    }
}

const char *hm_label_name(uint32_t label)
{
    switch (label) {
    case HM_BLK_INFO: return "HM_BLK_INFO";
    case HM_BLK_ATTACH: return "HM_BLK_ATTACH";
    case HM_BLK_DETACH: return "HM_BLK_DETACH";
    case HM_BLK_IOCTL: return "HM_BLK_IOCTL";
    case HM_VFS_OPEN: return "HM_VFS_OPEN";
    case HM_VFS_STAT: return "HM_VFS_STAT";
    case HM_VFS_READDIR: return "HM_VFS_READDIR";
    case HM_VFS_READ: return "HM_VFS_READ";
    case HM_VFS_WRITE: return "HM_VFS_WRITE";
    case HM_VFS_REGISTER: return "HM_VFS_REGISTER";
    case HM_VFS_IOCTL: return "HM_VFS_IOCTL";
    case HM_VFS_RESIZE: return "HM_VFS_RESIZE";
    case HM_DM_LSDEV: return "HM_DM_LSDEV";
    case HM_DM_REGISTER: return "HM_DM_REGISTER";
    case HM_DM_READY: return "HM_DM_READY";
    case HM_DM_DMESG: return "HM_DM_DMESG";
    case HM_DM_RESIZE: return "HM_DM_RESIZE";
    case HM_DM_TWIN: return "HM_DM_TWIN";
    case HM_DM_FAULT: return "HM_DM_FAULT";
    case HM_DM_TWIN_PAUSE: return "HM_DM_TWIN_PAUSE";
    case HM_DC_LOG: return "HM_DC_LOG";
    case HM_DC_TWIN_EVENT: return "HM_DC_TWIN_EVENT";
    case HM_DC_TWIN_ERROR: return "HM_DC_TWIN_ERROR";
    case HM_DC_FAULT: return "HM_DC_FAULT";
    case HM_DC_PING: return "HM_DC_PING";
    case HM_TWIN_ATTACH: return "HM_TWIN_ATTACH";
    case HM_TWIN_RESIZE: return "HM_TWIN_RESIZE";
    case HM_TWIN_PAUSE: return "HM_TWIN_PAUSE";
    case HM_TWIN_ADOPT: return "HM_TWIN_ADOPT";
    case HM_MSG_FAULT: return "HM_MSG_FAULT";
    default: return label <= HM_STATUS_MAX ? "a status" : prefix_name(label >> 16) ? "an unknown method" : "an unknown protocol";
    }
}
