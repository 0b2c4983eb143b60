/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/power.h"

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmx.h"
#include "debug/log.h"

#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN	  (1u << 13)
#define KBC_COMMAND	  0x64
#define KBC_PULSE_RESET	  0xfe
#define RESET_WAIT_US	  500000
#define PCI_RESET_CONTROL 0xcf9
#define PCI_RESET_SYSTEM  0x02
#define PCI_RESET_CPU	  0x04
#define PCI_RESET_FULL	  0x08

static const struct acpi_info *power_acpi;

void power_init(const struct acpi_info *acpi)
{
	power_acpi = acpi;
}

/* PM1 control registers are 16 bits wide in I/O or memory space. */
static bool pm1_write_sleep(const struct acpi_gas *reg, uint8_t slp_typ)
{
	uint16_t value;

	if (!reg->address)
		return true;
	if (reg->space_id == ACPI_GAS_SPACE_IO && reg->address <= 0xfffe) {
		value = inw((uint16_t)reg->address);
		value = (uint16_t)((value & ~PM1_SLP_TYP_MASK) |
				   ((unsigned int)slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
		outw((uint16_t)reg->address, value);
		return true;
	}
	if (reg->space_id == ACPI_GAS_SPACE_MEMORY) {
		volatile uint16_t *p = (volatile uint16_t *)(uintptr_t)reg->address;

		value = *p;
		*p = (uint16_t)((value & ~PM1_SLP_TYP_MASK) |
				((unsigned int)slp_typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN);
		return true;
	}
	pr_err("power: PM1 control register in address space %u is not supported", reg->space_id);
	return false;
}

void power_off(void)
{
	const struct acpi_info *a = power_acpi;

	if (!a || !a->has_fadt || !a->pm1a_cnt.address) {
		pr_err("power: cannot power off: no FADT PM1a control register");
		return;
	}
	if (!a->has_s5) {
		pr_err("power: cannot power off: the DSDT has no \\_S5 object");
		return;
	}
	pr_info("power: powering off (ACPI S5, SLP_TYP %u/%u)", a->s5_slp_typ_a, a->s5_slp_typ_b);
	irq_disable();
	/* The spec requires PM1b to be written too when it exists (same write, other value). */
	if (!pm1_write_sleep(&a->pm1a_cnt, a->s5_slp_typ_a))
		return;
	pm1_write_sleep(&a->pm1b_cnt, a->s5_slp_typ_b);
	tsc_delay_us(RESET_WAIT_US);
	pr_err("power: the machine is still running after the S5 request");
}

static void reset_via_fadt(const struct acpi_info *a)
{
	const struct acpi_gas *r = &a->reset_reg;

	if (!a->has_reset_reg || !r->address)
		return;
	pr_info("power: reset through the FADT reset register (%s 0x%llx, value 0x%x)",
		r->space_id == ACPI_GAS_SPACE_IO ? "port" : "memory",
		(unsigned long long)r->address, a->reset_value);
	if (r->space_id == ACPI_GAS_SPACE_IO && r->address <= 0xffff)
		outb((uint16_t)r->address, a->reset_value);
	else if (r->space_id == ACPI_GAS_SPACE_MEMORY)
		*(volatile uint8_t *)(uintptr_t)r->address = a->reset_value;
	else
		pr_warn("power: reset register in address space %u is not supported", r->space_id);
	tsc_delay_us(RESET_WAIT_US);
}

void power_reboot(void)
{
	irq_disable();
	/* Firmware restarting after a warm reset must not find CPUs in VMX operation. */
	machine_stop_other_cpus();
	tsc_delay_us(1000);
	vmx_off_this_cpu();
	if (power_acpi)
		reset_via_fadt(power_acpi);
	/*
	 * The PCI reset control register gives a cold reset where the chipset
	 * has one (the FADT usually names it anyway); a warm reset through the
	 * keyboard controller can leave MSRs such as IA32_FEATURE_CONTROL locked,
	 * which firmware then trips over.
	 */
	pr_info("power: reset through the PCI reset control register (0xcf9)");
	outb(PCI_RESET_CONTROL, PCI_RESET_SYSTEM);
	outb(PCI_RESET_CONTROL, PCI_RESET_SYSTEM | PCI_RESET_CPU | PCI_RESET_FULL);
	tsc_delay_us(RESET_WAIT_US);
	pr_info("power: reset through the keyboard controller");
	outb(KBC_COMMAND, KBC_PULSE_RESET);
	tsc_delay_us(RESET_WAIT_US);
	pr_err("power: reset did not happen; forcing a triple fault");
	{
		struct {
			uint16_t limit;
			uint64_t base;
		} __attribute__((packed)) empty_idt = { 0, 0 };

		__asm__ volatile("lidt %0; int3" ::"m"(empty_idt));
	}
	cpu_halt_forever();
}
