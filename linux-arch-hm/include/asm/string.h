/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_STRING_H
#define _ASM_HM_STRING_H
/* lib/string.c's generic versions; they stay local to linux.o */
#endif
