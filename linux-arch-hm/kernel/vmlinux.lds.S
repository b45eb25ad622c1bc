/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlinux for arch/hm is a relocatable object (ld -r) that hm's link of the
 * container program places. Everything is gathered into four sections whose
 * names hm's user.ld already matches (.text.*, .rodata.*, .data.*, .bss.*),
 * so Linux's tables (initcalls, __setup, params, ksymtab) stay contiguous and
 * --gc-sections keeps each as one piece.
 */
#define LOAD_OFFSET 0
#include <asm-generic/vmlinux.lds.h>
#include <asm/thread_info.h>
#include <asm/page.h>
#include <asm/cache.h>

OUTPUT_FORMAT("elf64-littleaarch64")
OUTPUT_ARCH(aarch64)

jiffies = jiffies_64;

SECTIONS
{
	.text.hm_vmlinux : {
		_text = .;
		_stext = .;
		TEXT_TEXT
		SCHED_TEXT
#ifdef CPUIDLE_TEXT	/* Linux version difference: 6.1 only; 6.12 has it in TEXT_TEXT */
		CPUIDLE_TEXT
#endif
		LOCK_TEXT
		KPROBES_TEXT
		IRQENTRY_TEXT
		SOFTIRQENTRY_TEXT
		_etext = .;
		_sinittext = .;
		INIT_TEXT
		_einittext = .;
	}
	.rodata.hm_vmlinux : {
		. = ALIGN(PAGE_SIZE);
		__start_rodata = .;
		*(.rodata) *(.rodata.*) *(.data.rel.ro*)
		SCHED_DATA
		. = ALIGN(8);
		__start___tracepoints_ptrs = .;
		KEEP(*(__tracepoints_ptrs))
		__stop___tracepoints_ptrs = .;
		*(__tracepoints_strings)
		*(.rodata1)
		. = ALIGN(8);
		__start_builtin_fw = .;
		KEEP(*(.builtin_fw))
		__end_builtin_fw = .;
		. = ALIGN(8);
		__start_pci_fixups_early = .;
		KEEP(*(.pci_fixup_early))
		__end_pci_fixups_early = .;
		__start_pci_fixups_header = .;
		KEEP(*(.pci_fixup_header))
		__end_pci_fixups_header = .;
		__start_pci_fixups_final = .;
		KEEP(*(.pci_fixup_final))
		__end_pci_fixups_final = .;
		__start_pci_fixups_enable = .;
		KEEP(*(.pci_fixup_enable))
		__end_pci_fixups_enable = .;
		__start_pci_fixups_resume = .;
		KEEP(*(.pci_fixup_resume))
		__end_pci_fixups_resume = .;
		__start_pci_fixups_resume_early = .;
		KEEP(*(.pci_fixup_resume_early))
		__end_pci_fixups_resume_early = .;
		__start_pci_fixups_suspend = .;
		KEEP(*(.pci_fixup_suspend))
		__end_pci_fixups_suspend = .;
		__start_pci_fixups_suspend_late = .;
		KEEP(*(.pci_fixup_suspend_late))
		__end_pci_fixups_suspend_late = .;
		. = ALIGN(8);
		__start___ksymtab = .;
		KEEP(*(SORT(___ksymtab+*)))
		__stop___ksymtab = .;
		__start___ksymtab_gpl = .;
		KEEP(*(SORT(___ksymtab_gpl+*)))
		__stop___ksymtab_gpl = .;
		*(__ksymtab_strings)
		*(.ref.rodata)
		/* ELF notes are not collected (no one reads /sys/kernel/notes
		 * in a container); ksysfs needs the bounds (6.12: not weak) */
		__start_notes = .;
		__stop_notes = .;
		. = ALIGN(8);
		__start___param = .;
		KEEP(*(__param))
		__stop___param = .;
		__start___modver = .;
		KEEP(*(__modver))
		__stop___modver = .;
		. = ALIGN(8);
		__start___ex_table = .;
		KEEP(*(__ex_table))
		__stop___ex_table = .;
		__end_rodata = .;
	}
	.data.hm_vmlinux : {
		. = ALIGN(PAGE_SIZE);
		_sdata = .;
		INIT_TASK_DATA(THREAD_SIZE)
		NOSAVE_DATA
		/* written during boot: Linux never write-protects it here */
		RO_AFTER_INIT_DATA
		PAGE_ALIGNED_DATA(PAGE_SIZE)
		CACHELINE_ALIGNED_DATA(L1_CACHE_BYTES)
		READ_MOSTLY_DATA(L1_CACHE_BYTES)
		DATA_DATA
		CONSTRUCTORS
		_edata = .;
		. = ALIGN(PAGE_SIZE);
		__init_begin = .;
		INIT_DATA
		INIT_SETUP(16)
		INIT_CALLS
		CON_INITCALL
		__init_end = .;
	}
	.bss.hm_vmlinux : {
		. = ALIGN(PAGE_SIZE);
		__bss_start = .;
		*(.bss..page_aligned)
		*(.dynbss)
		*(BSS_MAIN)
		*(COMMON)
		__bss_stop = .;
		_end = .;
	}
	STABS_DEBUG
	DWARF_DEBUG
	DISCARDS
}
