/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Service VM's power requests. Its PM1 control registers are trapped:
 * a write with SLP_EN and the \_S5 sleep type powers the machine off after
 * the hypervisor has printed its statistics; other sleep states (S1-S4) are
 * refused, as the hypervisor cannot resume from them; every other bit
 * (SCI_EN and friends) reaches the hardware unchanged.
 *
 * Its resets are trapped too (the PCI reset control register 0xcf9, the
 * keyboard controller's pulse-reset command, the FADT reset register): a
 * reset that reached the hardware directly could be an INIT, which VMX root
 * blocks, and firmware must not find CPUs in VMX operation; the hypervisor
 * leaves VMX on every CPU first (power_reboot()).
 */
#include "arch/x86/vpm.h"

#include "arch/x86/cpu.h"
#include "arch/x86/power.h"
#include "arch/x86/vmexit.h"
#include "core/platform.h"
#include "core/vm.h"
#include "debug/console.h"
#include "debug/log.h"

#define PM1_CNT_LEN	   2
#define PM1_SLP_TYP_SHIFT  10
#define PM1_SLP_TYP_MASK   7u
#define PM1_SLP_EN	   (1u << 13)
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_RESET_CONTROL  0xcf9
#define CF9_RESET_CPU	   (1u << 2)
#define KBC_COMMAND	   0x64
#define KBC_PULSE_RESET	   0xfe

static int pm1_read(void *dev, uint64_t port, uint32_t width, uint64_t *value)
{
	(void)dev;
	*value = width == 1 ? inb((uint16_t)port) : inw((uint16_t)port);
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

static void port_forward_write(uint16_t port, uint32_t width, uint64_t value)
{
	if (width == 1)
		outb(port, (uint8_t)value);
	else if (width == 2)
		outw(port, (uint16_t)value);
	else
		outl(port, (uint32_t)value);
}

static int port_forward_read(void *dev, uint64_t port, uint32_t width, uint64_t *value)
{
	(void)dev;
	if (width == 1)
		*value = inb((uint16_t)port);
	else if (width == 2)
		*value = inw((uint16_t)port);
	else
		*value = inl((uint16_t)port);
	return 0;
}

static void reset_request(struct vm *vm, const char *how)
{
	console_printf("\nservice-vm: reset requested by the Service VM (%s)\n", how);
	vmexit_print_stats(vm);
	power_reboot();
}

/* 0xcf8-0xcfb: the PCI configuration address (dword) and, at 0xcf9, the reset control byte. */
static int pci_cf8_write(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	const struct acpi_info *acpi = &platform.acpi;

	if (port == PCI_RESET_CONTROL && width == 1 && (value & CF9_RESET_CPU))
		reset_request(dev, "port 0xcf9");
	else if (acpi->has_reset_reg && acpi->reset_reg.space_id == ACPI_GAS_SPACE_IO &&
		 acpi->reset_reg.address == port && width == 1 && value == acpi->reset_value)
		reset_request(dev, "FADT reset register");
	port_forward_write((uint16_t)port, width, value);
	return 0;
}

static int kbc_command_write(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	if ((value & 0xff) == KBC_PULSE_RESET)
		reset_request(dev, "keyboard controller");
	port_forward_write((uint16_t)port, width, value);
	return 0;
}

static int fadt_reset_write(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	if ((value & 0xff) == platform.acpi.reset_value)
		reset_request(dev, "FADT reset register");
	port_forward_write((uint16_t)port, width, value);
	return 0;
}

static int trap_resets(struct vm *vm)
{
	const struct acpi_info *acpi = &platform.acpi;
	const struct acpi_gas *r = &acpi->reset_reg;
	struct io_handler cf8 = { .name = "PCI address / reset control",
				  .read = port_forward_read,
				  .write = pci_cf8_write,
				  .dev = vm,
				  .widths = IO_WIDTH_1 | IO_WIDTH_2 | IO_WIDTH_4 };
	struct io_handler kbc = { .name = "keyboard controller command",
				  .read = port_forward_read,
				  .write = kbc_command_write,
				  .dev = vm,
				  .widths = IO_WIDTH_1 };
	int err = io_registry_add_port(&vm->io, PCI_CONFIG_ADDRESS, 4, &cf8);

	if (!err)
		err = io_registry_add_port(&vm->io, KBC_COMMAND, 1, &kbc);
	if (!err && acpi->has_reset_reg && r->space_id == ACPI_GAS_SPACE_IO && r->address &&
	    !(r->address >= PCI_CONFIG_ADDRESS && r->address < PCI_CONFIG_ADDRESS + 4) &&
	    r->address != KBC_COMMAND && r->address <= 0xffff) {
		struct io_handler h = { .name = "FADT reset register",
					.read = port_forward_read,
					.write = fadt_reset_write,
					.dev = vm,
					.widths = IO_WIDTH_1 };

		err = io_registry_add_port(&vm->io, r->address, 1, &h);
	}
	return err;
}

int vpm_init(struct vm *vm)
{
	const struct acpi_info *acpi = &platform.acpi;
	int err = trap_resets(vm);

	if (err || !acpi->has_fadt)
		return err;
	err = trap_pm1(vm, &acpi->pm1a_cnt, "PM1a control");
	if (!err)
		err = trap_pm1(vm, &acpi->pm1b_cnt, "PM1b control");
	return err;
}
