/*
 * The ioctl rule (hm/chr.h), applied before Linux sees a call: a
 * command's argument is what its encoding says (_IOC_DIR, _IOC_SIZE: a
 * copy of that many bytes, at most HM_CHR_DATA_MAX), except for the
 * commands in ioctl_table, whose encoding does not describe their
 * argument; any other command that encodes none (_IOC_NONE) is refused,
 * since it may take a pointer nobody can check.
 */
#include "dcbase.h"
#include <dc_host.h>
#include <hm/chr.h>
#include <errno.h>

/* ---- the ioctl rule ---- */

/* commands whose encoding does not describe their argument (hm/chr.h) */
static const struct {
    uint32_t cmd;
    unsigned mode;   /* DC_CHR_ARG_NONE or DC_CHR_ARG_INT */
} ioctl_table[] = {
    /* linux/rtc.h: interrupts on and off, no argument */
    { HM_IOC(HM_IOC_NONE, 'p', 0x01, 0), DC_CHR_ARG_NONE },   /* RTC_AIE_ON */
    { HM_IOC(HM_IOC_NONE, 'p', 0x02, 0), DC_CHR_ARG_NONE },   /* RTC_AIE_OFF */
    { HM_IOC(HM_IOC_NONE, 'p', 0x03, 0), DC_CHR_ARG_NONE },   /* RTC_UIE_ON */
    { HM_IOC(HM_IOC_NONE, 'p', 0x04, 0), DC_CHR_ARG_NONE },   /* RTC_UIE_OFF */
    { HM_IOC(HM_IOC_NONE, 'p', 0x05, 0), DC_CHR_ARG_NONE },   /* RTC_PIE_ON */
    { HM_IOC(HM_IOC_NONE, 'p', 0x06, 0), DC_CHR_ARG_NONE },   /* RTC_PIE_OFF */
    { HM_IOC(HM_IOC_NONE, 'p', 0x0f, 0), DC_CHR_ARG_NONE },   /* RTC_WIE_ON */
    { HM_IOC(HM_IOC_NONE, 'p', 0x10, 0), DC_CHR_ARG_NONE },   /* RTC_WIE_OFF */
    /* encoded _IOW(.., unsigned long) but the driver takes the value itself */
    { HM_IOC(HM_IOC_WRITE, 'p', 0x0c, 8), DC_CHR_ARG_INT },   /* RTC_IRQP_SET */
    { HM_IOC(HM_IOC_WRITE, 'p', 0x0e, 8), DC_CHR_ARG_INT },   /* RTC_EPOCH_SET */
    /* linux/input.h: encoded _IOW(.., int), the value is the argument */
    { HM_IOC(HM_IOC_WRITE, 'E', 0x81, 4), DC_CHR_ARG_INT },   /* EVIOCRMFF */
    { HM_IOC(HM_IOC_WRITE, 'E', 0x90, 4), DC_CHR_ARG_INT },   /* EVIOCGRAB */
    { HM_IOC(HM_IOC_WRITE, 'E', 0x91, 4), DC_CHR_ARG_INT },   /* EVIOCREVOKE */
};

/* c->argmode, size, out for command cmd: 0, -ENOTTY or -EINVAL */
int dc_chr_ioctl_rule(uint32_t cmd, struct dc_chr_call *c)
{
    for (unsigned i = 0; i < sizeof ioctl_table / sizeof ioctl_table[0]; i++)
        if (ioctl_table[i].cmd == cmd) {
            c->argmode = ioctl_table[i].mode;
            return 0;
        }
    if (HM_IOC_DIR(cmd) == HM_IOC_NONE)
        return -ENOTTY;   /* it may take a pointer we cannot see: refused */
    if (HM_IOC_SIZE(cmd) > HM_CHR_DATA_MAX)
        return -EINVAL;
    c->argmode = DC_CHR_ARG_BUF;
    c->size = HM_IOC_SIZE(cmd);
    c->out = !!(HM_IOC_DIR(cmd) & HM_IOC_READ);
    return 0;
}
