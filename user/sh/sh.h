/* What the shell's command files share with sh.c (the prompt loop). */
#ifndef SH_SH_H
#define SH_SH_H
#include "file.h"

extern hm_handle_t sh_dm;   /* the device manager, or HM_HANDLE_INVALID */
extern hm_handle_t sh_dm_fault;   /* devmgr with the fault right (badge HM_DM_BADGE_FAULT), or invalid */
int sh_no_fault_right(const char *cmd);   /* fault.c */

/* fault.c: a container's state and restart count, and the first block
 * device node of its devices ("" if none); 0, or -1 if no device names it */
int sh_ct_state(const char *name, uint64_t *state, uint64_t *restarts, char node[16]);
/* fault.c: what hm_dm_fault's negative errno means to a shell user */
const char *sh_fault_error(int err);
/* a page of ours a device is made to write (fault CONTAINER dma): filled
 * with a pattern; sh_canary_changed counts the bytes that differ now */
struct sh_canary {
    hm_handle_t mem;
    volatile uint8_t *va;
    uint64_t phys;
    uint8_t want[4096];
};
int sh_canary_new(struct sh_canary *c, uint64_t seed);   /* 0 or -ENOMEM */
int sh_canary_changed(const struct sh_canary *c);
void sh_canary_free(struct sh_canary *c);
/* HM_DM_DMA_FAULT: container ct's device behind disk ("": its first PCI
 * disk) writes c's page; 0 with its restart count before, or -errno */
int sh_fault_dma(const char *ct, const char *disk, const struct sh_canary *c, uint64_t *before);

/* sh.c: the i-th command's name (poweroff included), NULL past the last */
const char *sh_command(unsigned i);

int cmd_blkbench(int argc, char **argv);
int cmd_fault(int argc, char **argv);
int cmd_faultstress(int argc, char **argv);
int cmd_hwclock(int argc, char **argv);    /* chrtools.c */
int cmd_evtest(int argc, char **argv);
int cmd_watchdog(int argc, char **argv);
int cmd_hexdump(int argc, char **argv);
#endif
