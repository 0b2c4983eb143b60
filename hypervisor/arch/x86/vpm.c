/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Service VM's ACPI sleep requests. Its PM1 control registers are
 * trapped: a write with SLP_EN and the \_S5 sleep type powers the machine
 * off after the hypervisor has printed its statistics; other sleep states
 * (S1-S4) are refused, as the hypervisor cannot resume from them; every
 * other bit (SCI_EN and friends) reaches the hardware unchanged.
 */
#include "arch/x86/vpm.h"

#include "arch/x86/cpu.h"
#include "arch/x86/power.h"
#include "arch/x86/vmexit.h"
#include "core/platform.h"
#include "core/vm.h"
#include "debug/console.h"
#include "debug/log.h"

#define PM1_CNT_LEN	  2
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  7u
#define PM1_SLP_EN	  (1u << 13)

static uint16_t inw_port(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static int pm1_read(void *dev, uint64_t port, uint32_t width, uint64_t *value)
{
	(void)dev;
	*value = width == 1 ? inb((uint16_t)port) : inw_port((uint16_t)port);
	return 0;
}

static void sleep_request(struct vm *vm, uint32_t slp_typ, bool is_pm1a)
{
	const struct acpi_info *acpi = &platform.acpi;
	uint8_t s5 = is_pm1a ? acpi->s5_slp_typ_a : acpi->s5_slp_typ_b;

	if (acpi->has_s5 && slp_typ == s5) {
		console_printf("\nservice-vm: ACPI S5 requested by the Service VM\n");
		vmexit_print_stats(vm);
		vm->state = VM_POWERED_OFF;
		power_off();
		return;
	}
	pr_warn("service-vm: sleep type %u requested; only S5 (power off) is supported, ignored",
		slp_typ);
}

static int pm1_write(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	struct vm *vm = dev;
	const struct acpi_info *acpi = &platform.acpi;
	bool is_pm1a = port - (port & 1) == acpi->pm1a_cnt.address;
	uint32_t word = (uint32_t)value;

	/* A byte write to the high half carries SLP_TYP and SLP_EN on its own. */
	if (width == 1 && (port & 1))
		word <<= 8;
	if ((width == 2 || (port & 1)) && (word & PM1_SLP_EN)) {
		sleep_request(vm, (word >> PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK, is_pm1a);
		return 0;
	}
	if (width == 1)
		outb((uint16_t)port, (uint8_t)value);
	else
		outw((uint16_t)port, (uint16_t)value);
	return 0;
}

static int trap_pm1(struct vm *vm, const struct acpi_gas *reg, const char *name)
{
	struct io_handler h = { .name = name,
				.read = pm1_read,
				.write = pm1_write,
				.dev = vm,
				.widths = IO_WIDTH_1 | IO_WIDTH_2 };

	if (!reg->address)
		return 0;
	if (reg->space_id != ACPI_GAS_SPACE_IO || reg->address > 0xfffe) {
		pr_warn("service-vm: %s is not an I/O port; its S5 request is not intercepted",
			name);
		return 0;
	}
	return io_registry_add_port(&vm->io, reg->address, PM1_CNT_LEN, &h);
}

int vpm_init(struct vm *vm)
{
	const struct acpi_info *acpi = &platform.acpi;
	int err;

	if (!acpi->has_fadt)
		return 0;
	err = trap_pm1(vm, &acpi->pm1a_cnt, "PM1a control");
	if (!err)
		err = trap_pm1(vm, &acpi->pm1b_cnt, "PM1b control");
	return err;
}
