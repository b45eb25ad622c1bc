/* SD Host Controller (SDHCI 3.0): what devmgr needs to stop one whose
 * container stops (its ADMA engine must not write into freed memory). */
#ifndef HM_HW_SDHCI_H
#define HM_HW_SDHCI_H

#define SDHCI_SOFTWARE_RESET 0x2f   /* 8 bits */
#define SDHCI_RESET_ALL      0x01   /* clears itself when done */
#endif
