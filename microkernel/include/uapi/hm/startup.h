/*
 * The startup block a process finds at the top of its stack (x0 points at it
 * when its first thread starts): arguments and the handles its parent gave
 * it, by name. The kernel builds it for init; init's loader for the rest.
 */
#ifndef HM_UAPI_STARTUP_H
#define HM_UAPI_STARTUP_H
#include <stdint.h>
#include <uapi/hm/syscall.h>
#include <uapi/hm/layout.h>

#define HM_STARTUP_MAGIC 0x317472617473686dull   /* "hmstart1" */
#define HM_START_MAX_HANDLES 16
#define HM_START_NAME 16

struct hm_start_handle {
    char name[HM_START_NAME];
    hm_handle_t h;
    uint32_t pad;
};

struct hm_startup {
    uint64_t magic;
    uint32_t argc;
    uint32_t nhandles;
    uint64_t argv;            /* user address of char *argv[argc + 1] */
    struct hm_start_handle handles[HM_START_MAX_HANDLES];
    /* argv array and strings follow */
};

#define HM_STACK_SIZE (64 * 1024)
#endif
