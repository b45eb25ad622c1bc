/*
 * Character device protocol: how a client reaches a character device a
 * driver registered (Linux's cdev and misc devices in a driver container:
 * /dev/rtc0, /dev/hwrng, /dev/input/event0, /dev/watchdog). Every call
 * runs the driver's own file operations on a file of its own (in Linux: a
 * real struct file and inode per open).
 *
 * Control (IPC on the driver's endpoint; reply label 0 or a positive errno,
 * hm/proto.h):
 *   HM_CHR_OPEN   on the handle vfs hands out for the node. handles[0] =
 *                 shared memory (HM_CHR_SHM_SIZE bytes at least), handles[1]
 *                 = the client's notification (SIGNAL), handles[2] = the
 *                 client's own process (READ only: when it dies, the driver
 *                 releases its files); w0 = HM_CHR_O_* flags, w1 = the
 *                 notification bits for "a request completed", w2 = for
 *                 "a polled wait queue woke".
 *                 -> handles[0] = the driver's doorbell (SIGNAL
 *                 HM_CHR_DOORBELL_BIT after each request), handles[1] = the
 *                 file handle (the endpoint with a badge naming the file).
 *                 The reply comes at once; the driver's open itself is
 *                 request 1 in the shared memory (op HM_CHR_OP_OPEN), put
 *                 there by the driver: the client waits for its completion
 *                 like any other (its result: 0 or the open's -errno).
 *   HM_CHR_CLOSE  on the file handle: the driver releases the file (Linux's
 *                 release runs; a call still running in it is interrupted);
 *                 the reply does not wait for it. For a call that sleeps
 *                 while the client wants out (another thread's read).
 *   HM_CHR_STAT   on the node's handle: -> w0 files open on the node whose
 *                 release has not run yet (Linux's open count), w1 1 if the
 *                 node's device is gone.
 * Requests (shared memory, one at a time per file): the client writes op
 * and arg[], then req (the next number), rings the doorbell and waits for
 * done == req; result holds the answer. Data of read, write and ioctl goes
 * through the data area (HM_CHR_DATA_OFF, HM_CHR_DATA_MAX bytes), never
 * through pointers into client memory.
 *   HM_CHR_OP_READ   arg0 = bytes (<= HM_CHR_DATA_MAX) -> result bytes read
 *   HM_CHR_OP_WRITE  arg0 = bytes, data in the area -> result bytes written
 *   HM_CHR_OP_IOCTL  arg0 = command, arg1 = the integer argument of the
 *                    commands that take one (below) -> result the ioctl's
 *                    return value; the argument the command's encoding
 *                    describes is in the data area, in and out.
 *   HM_CHR_OP_CLOSE  the file is released (a call of it still running is
 *                    interrupted) -> result 0 once the driver's release has
 *                    run, as close(2) returns; the file is gone after it.
 *   HM_CHR_OP_MMAP   refused: ENODEV (no mapping of a driver's memory or a
 *                    device's registers into a client is offered).
 *   HM_CHR_OP_POLL   arg0 = HM_CHR_POLL* events -> result the events ready
 *                    now; until the file is closed, each wake-up of a wait
 *                    queue the driver polled signals the client's poll
 *                    bits (the client polls again, then waits).
 * The ioctl rule (dcbase/chr_ioctl.c): a command's argument is what its
 * encoding says (_IOC_DIR, _IOC_SIZE): the driver gets a pointer to a copy
 * of _IOC_SIZE bytes of the data area (copied back if _IOC_READ); a size
 * above HM_CHR_DATA_MAX: EINVAL. A command whose encoding describes no
 * argument (_IOC_NONE) is refused with ENOTTY unless the container's table
 * names it: "none" (the driver gets 0) or "integer" (it gets arg1); the
 * table also marks encoded commands whose driver takes the argument as an
 * integer although their encoding names a size (RTC_IRQP_SET, EVIOCGRAB).
 * A client that dies has its files released as if it closed them, before
 * any later open of the same node reaches the driver (as a process's files
 * are closed before its parent hears of its death).
 * Errors: a bad request EINVAL; a file whose driver restarted EIO (the
 * client library: its endpoint is closed); an unknown command ENOTTY.
 */
#ifndef HM_CHR_H
#define HM_CHR_H
#include <stdint.h>
#include <hm/proto.h>

#define HM_CHR_OPEN  HM_LABEL(HM_PROTO_CHR, 1)
#define HM_CHR_CLOSE HM_LABEL(HM_PROTO_CHR, 2)
#define HM_CHR_STAT  HM_LABEL(HM_PROTO_CHR, 3)

/* open flags (Linux's values, so they pass through unchanged) */
#define HM_CHR_O_RDONLY   0
#define HM_CHR_O_WRONLY   1
#define HM_CHR_O_RDWR     2
#define HM_CHR_O_ACCMODE  3
#define HM_CHR_O_NONBLOCK 04000
#define HM_CHR_O_ALLOWED  (HM_CHR_O_ACCMODE | HM_CHR_O_NONBLOCK)

#define HM_CHR_OP_OPEN  1
#define HM_CHR_OP_READ  2
#define HM_CHR_OP_WRITE 3
#define HM_CHR_OP_IOCTL 4
#define HM_CHR_OP_POLL  5
#define HM_CHR_OP_CLOSE 6
#define HM_CHR_OP_MMAP  7   /* not offered: always ENODEV (mapping a driver's memory into a client is out of scope) */

/* poll events (Linux's POLL* values) */
#define HM_CHR_POLLIN  0x001
#define HM_CHR_POLLPRI 0x002
#define HM_CHR_POLLOUT 0x004
#define HM_CHR_POLLERR 0x008
#define HM_CHR_POLLHUP 0x010

#define HM_CHR_DOORBELL_BIT (1ull << 2)
#define HM_CHR_MAGIC 0x72686363u   /* "cchr" */

struct hm_chr_shared {
    uint32_t magic;
    volatile uint32_t req;    /* client: the request in op/arg (numbered from 1) */
    volatile uint32_t done;   /* driver: the last request answered */
    uint32_t op;
    uint64_t arg[2];
    volatile int64_t result;  /* >= 0, or a negative errno */
};

#define HM_CHR_DATA_OFF 4096
#define HM_CHR_DATA_MAX 4096
#define HM_CHR_SHM_SIZE (HM_CHR_DATA_OFF + HM_CHR_DATA_MAX)

/* Linux's ioctl encoding (asm-generic/ioctl.h), which the rule reads */
#define HM_IOC_NRBITS   8
#define HM_IOC_TYPEBITS 8
#define HM_IOC_SIZEBITS 14
#define HM_IOC_NONE  0u
#define HM_IOC_WRITE 1u
#define HM_IOC_READ  2u
#define HM_IOC(dir, type, nr, size) (((dir) << 30) | ((uint32_t)(size) << 16) | ((uint32_t)(type) << 8) | (uint32_t)(nr))
#define HM_IOC_DIR(cmd)  (((uint32_t)(cmd) >> 30) & 3u)
#define HM_IOC_SIZE(cmd) (((uint32_t)(cmd) >> 16) & 0x3fffu)
#endif
