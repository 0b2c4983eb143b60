/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/ioapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "debug/log.h"

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
		pr_info("ioapic: id %u at 0x%llx, %u pins from GSI %u, all masked",
			acpi->ioapics[i].id, (unsigned long long)base, pins,
			acpi->ioapics[i].gsi_base);
	}
}
