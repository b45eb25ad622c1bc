/* Names of IPC labels, for log lines (lib/src/labels.c, which also checks
 * at compile time that no two protocols' labels collide: hm/proto.h). */
#ifndef HM_LABELS_H
#define HM_LABELS_H
#include <stdint.h>

/* "HM_DM_LSDEV", ...; for any other value a description ("an unknown method") */
const char *hm_label_name(uint32_t label);
#endif
