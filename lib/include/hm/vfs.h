/*
 * VFS protocol (IPC on vfs's endpoint; reply label 0 or a positive errno:
 * ENOENT, EACCES, EINVAL, EIO, ENOSPC, EROFS..., hm/proto.h). Paths travel
 * in the IPC buffer's extra words (NUL-terminated, at most HM_VFS_PATH_MAX
 * bytes). Clients hold badge 0 handles; REGISTER and RESIZE are the device
 * manager's only (badge HM_VFS_BADGE_DM): anyone else gets EPERM.
 *   HM_VFS_OPEN     path -> w0 type, w1 size; for a device (HM_VFS_BLK,
 *                   HM_VFS_CHR), handles[0] is a direct line to its driver
 *                   (vfs leaves the data path)
 *   HM_VFS_STAT     path -> w0 type, w1 size
 *   HM_VFS_READDIR  path, w0 index -> w0 type, w1 size, name in the buffer;
 *                   ENOENT past the end
 *   HM_VFS_READ     path, w0 offset, w1 length (<= HM_VFS_IO_MAX) -> w0 bytes,
 *                   data in the buffer (files under /tmp)
 *   HM_VFS_WRITE    path + data in the buffer, w0 offset, w1 length -> w0 bytes
 *                   (creates the file; /tmp only)
 *   HM_VFS_IOCTL    path, w0 command, w1 argument: routed to a block
 *                   node's driver as HM_BLK_IOCTL; its reply (label,
 *                   w0..w5) comes back unchanged; ENOTTY for other nodes
 *                   (a character device's ioctls go through its file,
 *                   hm/chr.h)
 *   HM_VFS_REGISTER path, w0 type, w1 size, handles[0] = driver endpoint;
 *                   a path with subdirectories under /dev (/dev/input/
 *                   event0) makes the directories it needs
 *                   (SEND, GRANT, DUP); only from the device manager (badge
 *                   HM_VFS_BADGE_DM). OPEN hands clients copies with SEND and
 *                   GRANT only, so they cannot mint the driver's badges.
 *                   w2 = HM_VFS_REPLACE: the node exists (same type) and its
 *                   driver was restarted: the new endpoint replaces the old
 *                   one, the size is updated (ENOENT if there is no node).
 *   HM_VFS_RESIZE   path, w1 size: a registered node's new size (a disk's
 *                   capacity changed); only from the device manager.
 */
#ifndef HM_VFS_H
#define HM_VFS_H
#include <stdint.h>
#include <hm/proto.h>

#define HM_VFS_OPEN     HM_LABEL(HM_PROTO_VFS, 1)
#define HM_VFS_STAT     HM_LABEL(HM_PROTO_VFS, 2)
#define HM_VFS_READDIR  HM_LABEL(HM_PROTO_VFS, 3)
#define HM_VFS_READ     HM_LABEL(HM_PROTO_VFS, 4)
#define HM_VFS_WRITE    HM_LABEL(HM_PROTO_VFS, 5)
#define HM_VFS_REGISTER HM_LABEL(HM_PROTO_VFS, 6)
#define HM_VFS_IOCTL    HM_LABEL(HM_PROTO_VFS, 7)
#define HM_VFS_RESIZE   HM_LABEL(HM_PROTO_VFS, 8)
#define HM_VFS_REPLACE  1   /* HM_VFS_REGISTER w2 */

#define HM_VFS_DIR  1
#define HM_VFS_FILE 2
#define HM_VFS_BLK  3   /* block device: session protocol hm/blk.h */
#define HM_VFS_ZERO 4   /* /dev/zero: reads as zeros, writes are discarded */
#define HM_VFS_CHR  5   /* character device: file protocol hm/chr.h */

#define HM_VFS_PATH_MAX 128
#define HM_VFS_PATH_WORDS (HM_VFS_PATH_MAX / 8)
#define HM_VFS_IO_MAX 256   /* bytes of file data per READ/WRITE, after the path */
#define HM_VFS_BADGE_DM 1
#endif
