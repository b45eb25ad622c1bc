/*
 * IPC labels: one registry of protocol prefixes for every protocol header.
 *
 * A request's label is HM_LABEL(prefix, method): the protocol's 16-bit
 * prefix above a 16-bit method number, so labels of two protocols can only
 * collide if their prefixes do. The prefixes are listed here and nowhere
 * else; lib/src/labels.c puts every prefix, and every label of every
 * protocol header, as a case of one switch each, so a repeated value fails
 * to compile. Every request label is above 0xffff, so none can be taken
 * for a reply's status.
 *
 * A reply's label is its status: 0, or a positive errno from <errno.h>
 * (docs/conventions.md). Handlers return the same errno negated; the server
 * loop (hm/server.h) negates it into the label, the client helpers negate
 * it back.
 */
#ifndef HM_PROTO_H
#define HM_PROTO_H
#include <stdint.h>

#define HM_LABEL(prefix, method) ((uint32_t)(prefix) << 16 | (uint32_t)(method))

#define HM_PROTO_BLK  0x424cu   /* "BL" block sessions: hm/blk.h */
#define HM_PROTO_VFS  0x5646u   /* "VF" the namespace: hm/vfs.h */
#define HM_PROTO_DM   0x444du   /* "DM" the device manager: hm/dm.h */
#define HM_PROTO_DC   0x4443u   /* "DC" a driver container's endpoint: hm/dc.h */
#define HM_PROTO_TWIN 0x5457u   /* "TW" a twin driver's endpoint: hm/twin.h */
#define HM_PROTO_CHR  0x4348u   /* "CH" character device files: hm/chr.h */
#define HM_PROTO_KERNEL 0xfa17u /* the kernel's own messages: uapi/hm/syscall.h (HM_MSG_FAULT) */

/* the largest status a reply label carries (errno values are far below) */
#define HM_STATUS_MAX 0xffffu

/* 1 if label is one of the request labels the protocol headers define
 * (lib/src/labels.c, whose switch is the compile-time check above) */
int hm_label_defined(uint32_t label);
#endif
