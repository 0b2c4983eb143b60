/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the ACPI parser's sources (acpi.c: RSDP, root tables and the
 * walk; acpi_tables.c: MADT and FADT; acpi_aml.c: \_S5_) and by its unit
 * tests. Not for the rest of the hypervisor: use core/acpi.h.
 */
#ifndef HV_CORE_ACPI_INTERNAL_H
#define HV_CORE_ACPI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/acpi.h"
#include "lib/string.h"

#define ACPI_HEADER_LEN 36

/* A table as found at its address; data is set only once it is mapped in full and sums to 0. */
struct acpi_table {
	const uint8_t *data; /* length bytes */
	uint64_t address;
	uint32_t length;
	uint8_t revision;
	char sig[5];
	bool header_ok; /* set once sig, length and revision could be read */
};

/*
 * Tables may sit at any byte alignment, so fields are copied out (x86 is
 * little endian); the builtin stays a plain load under -ffreestanding.
 */
static inline uint16_t acpi_get_u16(const uint8_t *p)
{
	uint16_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t acpi_get_u32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t acpi_get_u64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* Fills the MADT fields of out from a verified "APIC" table. */
void acpi_madt_parse(struct acpi_info *out, const struct acpi_table *t);

/* Fills the FADT fields of out (DSDT address included) from a verified "FACP" table. */
void acpi_fadt_parse(struct acpi_info *out, const struct acpi_table *t);

/*
 * Scans an AML byte stream (a DSDT/SSDT body) for the \_S5_ package; `table`
 * names the table in messages. Returns 0 and the two SLP_TYP values for a
 * well-formed package, -EINVAL when only malformed ones were found (each
 * reported), -ENOENT when there is none.
 */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, const char *table, uint8_t *slp_typ_a,
		     uint8_t *slp_typ_b);

#endif
