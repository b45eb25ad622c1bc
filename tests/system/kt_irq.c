/* Interrupts delivered to user space: QEMU virt's PL031 RTC raises its
 * level-triggered SPI 2 (INTID 34) when its match register equals its
 * counter. The line is masked when it fires; ack unmasks it; mask/unmask
 * work; the kernel's own lines and foreign ranges are refused. */
#include "ktest.h"

#define RTC_PHYS 0x09010000ull
#define RTC_IRQ  34
enum { DR = 0, MR = 1, IMSC = 4, ICR = 7 };

static volatile uint32_t *rtc;
static void fire(void) { rtc[MR] = rtc[DR]; }

int main(void)
{
    kt_init("irq");
    hm_handle_t root = hm_start_handle("root");
    long mem = hm_mem_device(root, RTC_PHYS, 4096);
    rtc = (volatile uint32_t *)hm_vm_map(HM_HANDLE_SELF_PROC, (hm_handle_t)mem, 0, 4096, 0, HM_MAP_R | HM_MAP_W);
    KT_CHECK((long)rtc > 0, "map the RTC");
    long n = hm_notif_create();
    long irq = hm_irq_create(root, RTC_IRQ, (hm_handle_t)n, 0x4, 0);
    KT_OK(irq, "bind RTC interrupt to a notification");
    uint64_t bits = 0;
    KT_EQ(hm_notif_wait((hm_handle_t)n, HM_DEADLINE_POLL, &bits), -HM_ETIMEDOUT, "no interrupt before the device raises it");

    rtc[IMSC] = 1;
    fire();
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits), 0, "device interrupt arrives");
    KT_EQ(bits, 0x4, "with the bound bits");
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(30), &bits), -HM_ETIMEDOUT, "line stays masked until ack");
    KT_EQ(hm_irq_ctl((hm_handle_t)irq, HM_IRQ_ACK), 0, "ack");
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits), 0, "level line still asserted fires again after ack");
    rtc[ICR] = 1;
    hm_irq_ctl((hm_handle_t)irq, HM_IRQ_ACK);
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(50), &bits), -HM_ETIMEDOUT, "cleared at the device: no repeat");

    KT_EQ(hm_irq_ctl((hm_handle_t)irq, HM_IRQ_MASK), 0, "mask");
    fire();
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(50), &bits), -HM_ETIMEDOUT, "masked line does not deliver");
    KT_EQ(hm_irq_ctl((hm_handle_t)irq, HM_IRQ_UNMASK), 0, "unmask");
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits), 0, "pending interrupt delivered after unmask");
    rtc[ICR] = 1;
    hm_irq_ctl((hm_handle_t)irq, HM_IRQ_ACK);

    KT_EQ(hm_irq_create(root, 27, (hm_handle_t)n, 1, 0), -HM_ERANGE, "kernel timer PPI refused");
    KT_EQ(hm_irq_create(root, 33, (hm_handle_t)n, 1, 0), -HM_ERANGE, "kernel UART line refused");
    KT_EQ(hm_irq_create(root, 5000, (hm_handle_t)n, 1, 0), -HM_ERANGE, "nonexistent line refused");
    KT_EQ(hm_irq_create(root, RTC_IRQ, (hm_handle_t)n, 1, 0), -HM_EBUSY, "line already bound");
    long narrow = hm_resource_create(root, HM_RES_IRQ, 40, 2);
    KT_EQ(hm_irq_create((hm_handle_t)narrow, RTC_IRQ, (hm_handle_t)n, 1, 0), -HM_ERANGE, "line outside the IRQ resource");
    long sig_only = hm_handle_dup((hm_handle_t)n, HM_R_WAIT, 0);
    KT_EQ(hm_irq_create(root, 35, (hm_handle_t)sig_only, 1, 0), -HM_EPERM, "notification without SIGNAL right");
    KT_EQ(hm_irq_create(root, 35, (hm_handle_t)n, 0, 0), -HM_EINVAL, "no bits refused");
    KT_EQ(hm_irq_create(root, 35, (hm_handle_t)n, 1, 3), -HM_EINVAL, "edge and level at once refused");
    KT_EQ(hm_irq_ctl((hm_handle_t)irq, 9), -HM_EINVAL, "unknown irq_ctl op");
    long weak = hm_handle_dup((hm_handle_t)irq, HM_R_GRANT, 0);
    KT_EQ(hm_irq_ctl((hm_handle_t)weak, HM_IRQ_ACK), -HM_EPERM, "ack without MANAGE right");
    KT_EQ(hm_irq_ctl((hm_handle_t)n, HM_IRQ_ACK), -HM_ETYPE, "irq_ctl on a notification");

    /* closing the last handle unbinds the line */
    hm_handle_close((hm_handle_t)weak);
    KT_EQ(hm_handle_close((hm_handle_t)irq), 0, "close the IRQ handle");
    long again = hm_irq_create(root, RTC_IRQ, (hm_handle_t)n, 1, 0);
    KT_OK(again, "line can be bound again after close");
    fire();
    KT_EQ(hm_notif_wait((hm_handle_t)n, hm_deadline_ms(1000), &bits), 0, "and delivers to the new binding");
    rtc[ICR] = 1;
    rtc[IMSC] = 0;
    return kt_finish();
}
