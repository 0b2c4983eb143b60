/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/ioapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "lib/spinlock.h"

#define PIC1_COMMAND	   0x20
#define PIC1_DATA	   0x21
#define PIC2_COMMAND	   0xa0
#define PIC2_DATA	   0xa1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC_ICW4_8086	   0x01
#define PIC1_VECTOR_BASE   0x20
#define PIC2_VECTOR_BASE   0x28

#define IOAPIC_REGSEL	  0x00
#define IOAPIC_WINDOW	  0x10
#define IOAPIC_REG_VER	  0x01
#define IOAPIC_REG_RTE0	  0x10
#define IOAPIC_RTE_MASKED (1u << 16)
#define IOAPIC_RTE_LEVEL  (1u << 15)
#define IOAPIC_RTE_LOW	  (1u << 13)

struct ioapic_unit {
	uint64_t base;
	uint32_t gsi_base;
	uint32_t pins;
};

static struct ioapic_unit ioapic_units[ACPI_MAX_IOAPICS];
static const struct acpi_info *ioapic_acpi;
static uint32_t ioapic_unit_count;
/* IOREGSEL and IOWIN are one shared pair per IOAPIC: accesses from different CPUs must not mix. */
static struct spinlock ioapic_lock = SPINLOCK_INIT;

static void pic_remap_and_mask(void)
{
	/* Re-initialise both 8259s: vectors 0x20-0x2f instead of the BIOS's 0x08-0x0f. */
	outb(PIC1_COMMAND, PIC_ICW1_INIT_ICW4);
	outb(PIC2_COMMAND, PIC_ICW1_INIT_ICW4);
	outb(PIC1_DATA, PIC1_VECTOR_BASE);
	outb(PIC2_DATA, PIC2_VECTOR_BASE);
	outb(PIC1_DATA, 0x04); /* slave on IRQ2 */
	outb(PIC2_DATA, 0x02); /* cascade identity */
	outb(PIC1_DATA, PIC_ICW4_8086);
	outb(PIC2_DATA, PIC_ICW4_8086);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

static uint32_t ioapic_read(uint64_t base, uint32_t reg)
{
	*(volatile uint32_t *)(uintptr_t)(base + IOAPIC_REGSEL) = reg;
	return *(volatile uint32_t *)(uintptr_t)(base + IOAPIC_WINDOW);
}

static void ioapic_write(uint64_t base, uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(uintptr_t)(base + IOAPIC_REGSEL) = reg;
	*(volatile uint32_t *)(uintptr_t)(base + IOAPIC_WINDOW) = value;
}

void legacy_interrupts_quiesce(const struct acpi_info *acpi)
{
	ioapic_acpi = acpi;
	pic_remap_and_mask();
	for (uint32_t i = 0; i < acpi->ioapic_count; i++) {
		uint64_t base = acpi->ioapics[i].address;
		uint32_t pins;

		paging_map_device(base, 0x1000);
		pins = ((ioapic_read(base, IOAPIC_REG_VER) >> 16) & 0xff) + 1;
		for (uint32_t pin = 0; pin < pins; pin++) {
			uint32_t reg = IOAPIC_REG_RTE0 + 2 * pin;

			ioapic_write(base, reg, ioapic_read(base, reg) | IOAPIC_RTE_MASKED);
		}
		ioapic_units[ioapic_unit_count++] = (struct ioapic_unit){
			.base = base, .gsi_base = acpi->ioapics[i].gsi_base, .pins = pins
		};
		pr_info("ioapic: id %u at 0x%llx, %u pins from GSI %u, all masked",
			acpi->ioapics[i].id, (unsigned long long)base, pins,
			acpi->ioapics[i].gsi_base);
	}
}

static const struct ioapic_unit *ioapic_for_gsi(uint32_t gsi, uint32_t *pin)
{
	for (uint32_t i = 0; i < ioapic_unit_count; i++) {
		const struct ioapic_unit *u = &ioapic_units[i];

		if (gsi >= u->gsi_base && gsi - u->gsi_base < u->pins) {
			*pin = gsi - u->gsi_base;
			return u;
		}
	}
	return NULL;
}

uint32_t ioapic_gsi_limit(void)
{
	uint32_t limit = 0;

	for (uint32_t i = 0; i < ioapic_unit_count; i++)
		if (ioapic_units[i].gsi_base + ioapic_units[i].pins > limit)
			limit = ioapic_units[i].gsi_base + ioapic_units[i].pins;
	return limit;
}

uint32_t ioapic_pins_at(uint64_t address)
{
	for (uint32_t i = 0; i < ioapic_unit_count; i++)
		if (ioapic_units[i].base == address)
			return ioapic_units[i].pins;
	return 0;
}

bool ioapic_gsi_exists(uint32_t gsi)
{
	uint32_t pin;

	return ioapic_for_gsi(gsi, &pin) != NULL;
}

int ioapic_program_gsi(uint32_t gsi, uint8_t vector, uint32_t dest_apic_id, bool level,
		       bool active_low, bool masked)
{
	uint32_t pin;
	const struct ioapic_unit *u = ioapic_for_gsi(gsi, &pin);
	uint32_t low = vector | (level ? IOAPIC_RTE_LEVEL : 0) | (active_low ? IOAPIC_RTE_LOW : 0) |
		       (masked ? IOAPIC_RTE_MASKED : 0);

	if (!u)
		return -ENOENT;
	spinlock_acquire(&ioapic_lock);
	/* Masked first, so the pin never fires with half an entry written. */
	ioapic_write(u->base, IOAPIC_REG_RTE0 + 2 * pin, IOAPIC_RTE_MASKED);
	ioapic_write(u->base, IOAPIC_REG_RTE0 + 2 * pin + 1, (dest_apic_id & 0xff) << 24);
	ioapic_write(u->base, IOAPIC_REG_RTE0 + 2 * pin, low);
	spinlock_release(&ioapic_lock);
	return 0;
}

void ioapic_mask_gsi(uint32_t gsi, bool masked)
{
	uint32_t pin;
	const struct ioapic_unit *u = ioapic_for_gsi(gsi, &pin);
	uint32_t reg, low;

	if (!u)
		return;
	reg = IOAPIC_REG_RTE0 + 2 * pin;
	spinlock_acquire(&ioapic_lock);
	low = ioapic_read(u->base, reg);
	low = masked ? (low | IOAPIC_RTE_MASKED) : (low & ~IOAPIC_RTE_MASKED);
	ioapic_write(u->base, reg, low);
	spinlock_release(&ioapic_lock);
}

uint32_t ioapic_isa_irq_to_gsi(uint32_t irq, bool *level, bool *active_low)
{
	*level = false;
	*active_low = false;
	for (uint32_t i = 0; ioapic_acpi && i < ioapic_acpi->override_count; i++) {
		const struct acpi_override *o = &ioapic_acpi->overrides[i];

		if (o->bus != 0 || o->source_irq != irq)
			continue;
		/* MPS INTI flags: polarity bits 1:0 (3 = active low), trigger bits 3:2 (3 = level).
		 */
		*active_low = (o->flags & 3) == 3;
		*level = ((o->flags >> 2) & 3) == 3;
		return o->gsi;
	}
	return irq;
}
