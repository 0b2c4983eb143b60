/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake firmware for the ACPI parser tests (tests/acpi_fw.c): a fake
 * physical memory whose every mapping is an exact-size heap copy, and
 * builders that lay out tables with correct checksums.
 */
#ifndef HV_TESTS_ACPI_FW_H
#define HV_TESTS_ACPI_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/acpi.h"

/* Where fw_build() puts things. */
#define RSDP_ADDR 0xF0000ull
#define RSDT_ADDR 0x7FF00000ull
#define XSDT_ADDR 0x7FF01000ull
#define FADT_ADDR 0x7FF02000ull
#define MADT_ADDR 0x7FF03000ull
#define DSDT_ADDR 0x7FF04000ull
#define SSDT_ADDR 0x7FF05000ull
#define HPET_ADDR 0x7FF06000ull
#define BIG_ADDR  0x7FF10000ull

struct fw_region {
	uint64_t base;
	uint8_t *data;
	size_t len;
};

/* A table under construction (header + body), placed into memory at the end. */
struct fw_tbl {
	uint8_t b[16384];
	size_t n;
};

extern const struct acpi_mem fw_mem;
extern struct acpi_info fw_info;

/* cmocka setup/teardown: empty memory, cleared log; everything freed. */
int fw_setup(void **state);
int fw_teardown(void **state);

/* A zeroed region of exactly len bytes at base. */
uint8_t *fw_region_add(uint64_t base, size_t len);
struct fw_region *fw_region_at(uint64_t base);
void fw_region_drop(uint64_t base);

void fw_put16(uint8_t *p, uint16_t v);
void fw_put32(uint8_t *p, uint32_t v);
void fw_put64(uint8_t *p, uint64_t v);
/* Makes `len` bytes at p sum to 0 by adjusting the byte at p[cksum]. */
void fw_fix_sum(uint8_t *p, size_t len, size_t cksum);

void fw_tbl_begin(struct fw_tbl *t, const char *sig, uint8_t rev);
void fw_tbl_add(struct fw_tbl *t, const void *bytes, size_t len);
/* Sets length and checksum and copies the table into an exact-size region. */
uint8_t *fw_tbl_place(struct fw_tbl *t, uint64_t addr);
/* Recomputes a placed table's checksum (over its length field when that fits the region). */
void fw_tbl_refix(uint64_t addr);

void fw_put_rsdp(uint64_t addr, uint8_t rev, uint32_t rsdt, uint64_t xsdt);
void fw_put_root(uint64_t addr, bool xsdt, const uint64_t *entries, int n);
void fw_madt_begin(struct fw_tbl *t, uint32_t lapic, uint32_t flags);
void fw_madt_lapic(struct fw_tbl *t, uint8_t uid, uint8_t id, uint32_t flags);
void fw_madt_x2apic(struct fw_tbl *t, uint32_t id, uint32_t flags, uint32_t uid);
void fw_madt_ioapic(struct fw_tbl *t, uint8_t id, uint32_t addr, uint32_t gsi);
void fw_madt_iso(struct fw_tbl *t, uint8_t src, uint32_t gsi, uint16_t flags);
/* Four local APICs (ids 0 2 4 6, the last two disabled), an IOAPIC, two overrides, an x2APIC. */
void fw_standard_madt(struct fw_tbl *t);
/* FADT revision 1 (116 bytes) or >= 3 (276 bytes). */
void fw_put_fadt(uint64_t addr, int rev, uint32_t flags);
void fw_put_aml_table(uint64_t addr, const char *sig, const uint8_t *aml, size_t len);

/*
 * Some AML with Name (\_S5_, Package (4) { 5, 6, 0, 0 }): bytes 7-21 are
 * the Name, 13 the PackageOp.
 */
#define FW_S5_AML_LEN  32
#define FW_S5_NAME_OFF 7
#define FW_S5_NAME_LEN 15
extern const uint8_t fw_s5_aml[FW_S5_AML_LEN];

/* RSDP v1 (RSDT) or v2 (RSDT and XSDT; the XSDT also lists an HPET), FADT, MADT, DSDT. */
void fw_build(bool v2);
/* acpi_parse of the RSDP at RSDP_ADDR into fw_info. */
int fw_parse(void);

/* No warning and no error was logged. */
void fw_assert_quiet(void);
void fw_assert_logged(const char *text);

#endif
