/* PL011 UART: the kernel console. Polled output, interrupt-driven input. */
#include <kernel/kernel.h>
#include <kernel/plat.h>

#define UART_DR   0x00
#define UART_FR   0x18
#define UART_IMSC 0x38
#define UART_ICR  0x44
#define FR_TXFF   (1 << 5)
#define FR_RXFE   (1 << 4)
#define IM_RX     (1 << 4)
#define IM_RT     (1 << 6)

/* QEMU virt's UART; the boot map covers it at this address until plat_init
 * maps whatever the device tree names at the same linear-offset address. */
volatile uint8_t *pl011_base = (volatile uint8_t *)(KERNEL_VBASE + 0x09000000);

static inline uint32_t rd(uint32_t off) { return *(volatile uint32_t *)(pl011_base + off); }
static inline void wr(uint32_t off, uint32_t v) { *(volatile uint32_t *)(pl011_base + off) = v; }

void plat_console_putc(char c)
{
    while (rd(UART_FR) & FR_TXFF)
        ;
    wr(UART_DR, (uint8_t)c);
}

int plat_console_getc(void)
{
    if (rd(UART_FR) & FR_RXFE)
        return -1;
    return (int)(rd(UART_DR) & 0xff);
}

void plat_console_enable_rx_irq(void)
{
    wr(UART_ICR, 0x7ff);
    wr(UART_IMSC, IM_RX | IM_RT);
}
