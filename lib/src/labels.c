/*
 * Every IPC label of every protocol header, in one place. The switches are
 * the compile-time check hm/proto.h promises: a prefix or a label that two
 * headers share is a duplicate case value, which does not compile. make
 * test's "protocol labels" check fails if a header defines a label that is
 * not a case here.
 */
#include <hm/proto.h>
#include <hm/blk.h>
#include <hm/chr.h>
#include <hm/dc.h>
#include <hm/dm.h>
#include <hm/twin.h>
#include <hm/vfs.h>
#include <uapi/hm/syscall.h>

_Static_assert(HM_MSG_FAULT >> 16 == HM_PROTO_KERNEL, "the kernel's messages have the kernel's prefix");

static int prefix_defined(uint32_t prefix)
{
    switch (prefix) {
    case HM_PROTO_BLK:
    case HM_PROTO_VFS:
    case HM_PROTO_DM:
    case HM_PROTO_DC:
    case HM_PROTO_TWIN:
    case HM_PROTO_CHR:
    case HM_PROTO_KERNEL:
        return 1;
    default:
        return 0;
    }
}

int hm_label_defined(uint32_t label)
{
    if (!prefix_defined(label >> 16))
        return 0;
    switch (label) {
    case HM_BLK_INFO:
    case HM_BLK_ATTACH:
    case HM_BLK_DETACH:
    case HM_BLK_IOCTL:
    case HM_VFS_OPEN:
    case HM_VFS_STAT:
    case HM_VFS_READDIR:
    case HM_VFS_READ:
    case HM_VFS_WRITE:
    case HM_VFS_REGISTER:
    case HM_VFS_IOCTL:
    case HM_VFS_RESIZE:
    case HM_DM_LSDEV:
    case HM_DM_REGISTER:
    case HM_DM_READY:
    case HM_DM_DMESG:
    case HM_DM_RESIZE:
    case HM_DM_TWIN:
    case HM_DM_FAULT:
    case HM_DM_TWIN_PAUSE:
    case HM_DM_MSI:
    case HM_DM_DMA_MAP:
    case HM_DM_DMA_UNMAP:
    case HM_DM_DMA_FAULT:
    case HM_DC_LOG:
    case HM_DC_TWIN_EVENT:
    case HM_DC_TWIN_ERROR:
    case HM_DC_FAULT:
    case HM_DC_PING:
    case HM_DC_GRANT:
    case HM_DC_ACTIVATE:
    case HM_TWIN_ATTACH:
    case HM_TWIN_RESIZE:
    case HM_TWIN_PAUSE:
    case HM_TWIN_FAULT:
    case HM_TWIN_ADOPT:
    case HM_CHR_OPEN:
    case HM_CHR_CLOSE:
    case HM_CHR_STAT:
    case HM_MSG_FAULT:
        return 1;
    default:
        return 0;
    }
}
