/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_HM_PGTABLE_H
#define _ASM_HM_PGTABLE_H
/* No MMU in Linux's view: the microkernel owns every page table. */
#include <asm-generic/pgtable-nopud.h>
#include <asm/page.h>

#define pgd_present(pgd)	(1)
#define pgd_none(pgd)		(0)
#define pgd_bad(pgd)		(0)
#define pgd_clear(pgdp)
#define PGDIR_SHIFT		21
#define PGDIR_SIZE		(1UL << PGDIR_SHIFT)
#define PGDIR_MASK		(~(PGDIR_SIZE - 1))

#define PAGE_NONE		__pgprot(0)
#define PAGE_SHARED		__pgprot(0)
#define PAGE_COPY		__pgprot(0)
#define PAGE_READONLY		__pgprot(0)
#define PAGE_KERNEL		__pgprot(0)
#define PAGE_KERNEL_EXEC	__pgprot(0)
#define pgprot_noncached(prot)	(prot)
#define pgprot_writecombine(prot) (prot)
#define pgprot_device(prot)	(prot)
#define swapper_pg_dir		((pgd_t *)0)

/* a zeroed page of the linear region (setup.c), so virt_to_page works */
extern struct page *hm_zero_page;
#define ZERO_PAGE(vaddr)	(hm_zero_page)

#define VMALLOC_START		0UL
#define VMALLOC_END		0xffffffffffffUL
#define FIRST_USER_ADDRESS	0UL
#define kern_addr_valid(addr)	(1)
#endif
