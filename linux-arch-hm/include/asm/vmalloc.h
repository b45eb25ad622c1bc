/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_VMALLOC_H
#define _ASM_HM_VMALLOC_H
#endif
