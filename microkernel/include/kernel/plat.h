/* Platform interface (plat/qemu-virt): console, interrupt controller, timer, power. */
#ifndef KERNEL_PLAT_H
#define KERNEL_PLAT_H
#include <stdint.h>
#include <stdbool.h>

struct boot_info;
void plat_init(const void *fdt);          /* parse devices from the device tree, map them */
void plat_console_putc(char c);
int plat_console_getc(void);              /* -1 if none pending */
void plat_console_enable_rx_irq(void);
__attribute__((noreturn)) void plat_poweroff(void);

/* interrupt controller */
#define IRQ_SPURIOUS 1023
void gic_init(void);
uint32_t gic_ack(void);                   /* INTID of the pending interrupt */
void gic_eoi(uint32_t intid);
void gic_enable(uint32_t intid);
void gic_disable(uint32_t intid);
void gic_clear_pending(uint32_t intid);
bool gic_is_edge(uint32_t intid);
void gic_set_edge(uint32_t intid, bool edge);
uint32_t gic_max_irq(void);
int gic_version(void);

/* MSI controller (gic_msi.c over gic_v2m.c or gic_its.c). An MSI source is
 * a device ID (the PCI requester ID) and an event (the vector's index); the
 * kernel picks the INTID and says what write raises it. */
#define GIC_LPI_BASE     8192
#define MSI_MAX_EVENTS   256      /* per device ID */
void msi_init(void);
int msi_kind(void);               /* 0: none, 2: GICv2m, 3: ITS */
int msi_map(uint32_t devid, uint32_t event, uint32_t *intid, uint64_t *addr, uint32_t *data);
void msi_unmap(uint32_t intid);
bool msi_owns_irq(uint32_t intid);   /* handed out by msi_map only */
void its_lpi_set(uint32_t intid, bool enable);

/* kernel-owned interrupt numbers and device ranges (excluded from user grants) */
extern uint32_t plat_timer_irq, plat_backstop_irq, plat_uart_irq;
bool plat_kernel_owns_phys(uint64_t pa, uint64_t size);
bool plat_kernel_owns_irq(uint32_t irq);

/* generic timer: the virtual one for the timeouts, the physical one as
 * their backstop (timeout.c says why) */
void timer_hw_init(void);
void timer_hw_program(uint64_t deadline);
void timer_backstop_arm(uint64_t deadline);
void timer_backstop(void);   /* its interrupt (timeout.c) */

/* the CPU's PMU (arch/aarch64/pmu.c): retired instructions, for benchmarks */
extern uint32_t plat_pmu_irq;
void pmu_init(void);
void pmu_irq(void);
bool pmu_instructions(uint64_t *total);   /* false: not counted on this CPU/QEMU */
#endif
