/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI table parser. Firmware tables are untrusted input: every length is
 * checked against what the accessor could map before it is used, and each
 * problem is reported once, naming the table, the field and the bad value.
 * Physical memory is reached only through struct acpi_mem so the host tests
 * can hand the parser a fake physical memory.
 */
#ifndef HV_CORE_ACPI_H
#define HV_CORE_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_mem {
	/* Returns a pointer to [phys, phys+len) or NULL when that range is not readable. */
	const void *(*map)(void *ctx, uint64_t phys, size_t len);
	void *ctx;
};

#define ACPI_MAX_CPUS	   256
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_TABLES	   32

/* Generic Address Structure. */
#define ACPI_GAS_SPACE_MEMORY 0
#define ACPI_GAS_SPACE_IO     1
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
};

struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid;
	bool enabled;
	bool online_capable;
	bool from_x2apic_entry;
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t address;
	uint32_t gsi_base;
};

struct acpi_override {
	uint8_t bus;
	uint8_t source_irq;
	uint32_t gsi;
	uint16_t flags;
};

struct acpi_table_ref {
	char signature[5]; /* non-printable bytes shown as '?' */
	uint64_t address;
	uint32_t length;
	uint8_t revision;
	bool checksum_ok; /* false: the table was not used */
};

struct acpi_info {
	uint64_t rsdp_address; /* 0 when parsed from the boot loader's copy */
	uint8_t rsdp_revision;
	char oem_id[7];
	bool using_xsdt;

	/* Every table listed by the root table (the first ACPI_MAX_TABLES). */
	uint32_t table_count;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];

	bool has_madt;
	uint64_t lapic_address; /* a type 5 entry overrides the 32-bit field */
	uint32_t madt_flags;
	/* Types 0 and 9; a CPU listed twice (same APIC id) appears once. */
	uint32_t cpu_count;
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	uint32_t ioapic_count;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	uint32_t override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];

	bool has_fadt;
	uint8_t fadt_revision;
	uint32_t fadt_flags;
	uint16_t sci_irq;
	uint16_t iapc_boot_arch;
	/*
	 * From X_PM1x_CNT_BLK when present and nonzero, else the 32-bit
	 * PM1x_CNT_BLK as I/O (width PM1_CNT_LEN * 8); address 0 = absent.
	 */
	struct acpi_gas pm1a_cnt, pm1b_cnt;
	/* FADT flag RESET_REG_SUP set and a FADT long enough to hold RESET_VALUE. */
	bool has_reset_reg;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint64_t dsdt_address;

	/* From the \_S5_ package in the DSDT (or an SSDT). */
	bool has_s5;
	uint8_t s5_slp_typ_a, s5_slp_typ_b;
};

/*
 * Verifies the RSDP at phys: signature "RSD PTR ", the checksum over the
 * first 20 bytes and, when revision >= 2, the extended checksum over
 * `length` bytes. Returns 0 or -EINVAL (with a pr_err saying why).
 */
int acpi_check_rsdp(const struct acpi_mem *mem, uint64_t phys);

/*
 * Scans [start, start+len) on 16-byte boundaries for a valid RSDP (the
 * legacy BIOS areas: the EBDA and 0xE0000-0xFFFFF). Returns 0 and sets
 * *found, or -ENOENT.
 */
int acpi_find_rsdp(const struct acpi_mem *mem, uint64_t start, uint64_t len, uint64_t *found);

/*
 * Parses the firmware tables into *out. rsdp_copy/rsdp_len: the RSDP copy
 * multiboot2 gives (NULL/0 when there is none; rsdp_phys is then the RSDP's
 * physical address). A copy's physical address is unknown, so rsdp_address
 * is then 0. Returns 0, or -EINVAL when the RSDP or both root tables are
 * unusable. A missing MADT or FADT is reported but is not an error.
 */
int acpi_parse(const struct acpi_mem *mem, const void *rsdp_copy, size_t rsdp_len,
	       uint64_t rsdp_phys, struct acpi_info *out);

#endif
