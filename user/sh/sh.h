/* What the shell's command files share with sh.c (the prompt loop). */
#ifndef SH_SH_H
#define SH_SH_H
#include "file.h"

extern hm_handle_t sh_dm;   /* the device manager, or HM_HANDLE_INVALID */

/* fault.c: a container's state and restart count, and the first block
 * device node of its devices ("" if none); 0, or -1 if no device names it */
int sh_ct_state(const char *name, uint64_t *state, uint64_t *restarts, char node[16]);
/* fault.c: what hm_dm_fault's negative errno means to a shell user */
const char *sh_fault_error(int err);

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
