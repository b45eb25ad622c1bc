/* Names of the kernel's error codes. */
#include <hm/hm.h>

const char *hm_strerror(long err)
{
    static const char *const names[HM_NERRORS] = {
        "ok", "invalid argument", "bad handle", "missing right", "wrong object type", "bad address",
        "out of memory", "table full", "timed out", "peer closed", "wrong state", "out of range",
        "no such system call", "busy",
    };
    if (err > 0)
        return "ok";
    err = -err;
    return err < HM_NERRORS ? names[err] : "unknown error";
}
