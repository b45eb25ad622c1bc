/* The two MSI controllers behind gic_msi.c. Each returns 0 or -HM_E*. */
#ifndef PLAT_GIC_MSI_H
#define PLAT_GIC_MSI_H
#include <stdint.h>
#include <stdbool.h>

/* GICv2m (gic_v2m.c): a write of the INTID to the frame raises that SPI */
int v2m_init(uint64_t pa, uint64_t size, uint32_t spi_base, uint32_t spi_count, const uint64_t *wired);
int v2m_alloc(uint32_t *intid, uint64_t *addr, uint32_t *data);
void v2m_free(uint32_t intid);
bool v2m_owns(uint32_t intid);

/* GICv3 ITS (gic_its.c): a write of the event to GITS_TRANSLATER is
 * translated, by the device ID the bus attaches, to an LPI */
int its_init(uint64_t pa, uint64_t size);
int its_map(uint32_t devid, uint32_t event, uint32_t *intid, uint64_t *addr, uint32_t *data);
void its_unmap(uint32_t devid, uint32_t event, uint32_t intid);
#endif
