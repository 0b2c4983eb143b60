/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ACPI parser against fake firmware (tests/acpi_fw.c): RSDP checks and
 * search, root table selection, table verification, MADT and FADT. The
 * \_S5_ search is tested in test_acpi_aml.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/acpi.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "tests/acpi_fw.h"
#include "tests/log_capture.h"

/* ---- RSDP ---------------------------------------------------------------- */

static void test_check_rsdp_valid(void **state)
{
	(void)state;
	fw_put_rsdp(0x1000, 0, 0x2000, 0);
	fw_put_rsdp(0x3000, 2, 0x2000, 0x4000);
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x1000), 0);
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x3000), 0);
	fw_assert_quiet();
}

static void test_check_rsdp_bad_signature_checksum(void **state)
{
	(void)state;
	fw_put_rsdp(0x1000, 0, 0x2000, 0);
	fw_region_at(0x1000)->data[16] ^= 1;
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x1000), -EINVAL);
	fw_assert_logged("acpi: RSDP checksum mismatch at 0x1000");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);

	log_capture_reset();
	fw_put_rsdp(0x3000, 0, 0x2000, 0);
	fw_region_at(0x3000)->data[3] = 'X';
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x3000), -EINVAL);
	fw_assert_logged("signature \"RSDXPTR \"");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);

	log_capture_reset();
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x9000), -EINVAL);
	fw_assert_logged("RSDP at 0x9000 is not readable");
}

static void test_check_rsdp_bad_extended(void **state)
{
	uint8_t *p;

	(void)state;
	fw_put_rsdp(0x1000, 2, 0x2000, 0x4000);
	p = fw_region_at(0x1000)->data;
	p[33] = 0x55; /* reserved byte: breaks only the extended checksum */
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x1000), -EINVAL);
	fw_assert_logged("RSDP extended checksum mismatch at 0x1000");

	/* length below 36, then a length beyond what is mapped */
	log_capture_reset();
	fw_put32(p + 20, 30);
	fw_fix_sum(p, 36, 32);
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x1000), -EINVAL);
	fw_assert_logged("length 30 is below the 36 bytes");
	log_capture_reset();
	fw_put32(p + 20, 4096);
	fw_fix_sum(p, 36, 32);
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x1000), -EINVAL);
	fw_assert_logged("length 4096 but only 36 bytes readable");
}

static void test_check_rsdp_v2_only_v1_mapped(void **state)
{
	uint8_t *p;

	(void)state;
	/* A revision 2 RSDP whose mapping ends after 20 bytes. */
	p = fw_region_add(0x1000, 20);
	memcpy(p, "RSD PTR ", 8);
	p[15] = 2;
	fw_fix_sum(p, 20, 8);
	assert_int_equal(acpi_check_rsdp(&fw_mem, 0x1000), -EINVAL);
	fw_assert_logged("revision 2 but only 20 bytes readable");
}

static void test_bad_arguments(void **state)
{
	struct acpi_mem no_map = { 0 };
	uint64_t found;

	(void)state;
	assert_int_equal(acpi_check_rsdp(NULL, 0x1000), -EINVAL);
	assert_int_equal(acpi_check_rsdp(&no_map, 0x1000), -EINVAL);
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0xE0000, 0x20000, NULL), -EINVAL);
	assert_int_equal(acpi_parse(&fw_mem, NULL, 0, RSDP_ADDR, NULL), -EINVAL);
	assert_int_equal(acpi_parse(NULL, NULL, 0, RSDP_ADDR, &fw_info), -EINVAL);
	/* Ranges that wrap around the address space are never handed to map(). */
	assert_int_equal(acpi_check_rsdp(&fw_mem, UINT64_MAX - 5), -EINVAL);
	assert_int_equal(acpi_find_rsdp(&fw_mem, UINT64_MAX - 3, 16, &found), -ENOENT);
}

static void test_find_rsdp(void **state)
{
	uint8_t *bios;
	uint64_t found = 0;

	(void)state;
	bios = fw_region_add(0xE0000, 0x20000);
	/* A decoy with the signature and a bad checksum comes first. */
	memcpy(bios + 0x100, "RSD PTR ", 8);
	bios[0x100 + 15] = 0;
	/* The signature off a 16-byte boundary is not an RSDP either. */
	memcpy(bios + 0x208, "RSD PTR ", 8);
	memcpy(bios + 0x5000, "RSD PTR ", 8);
	fw_put32(bios + 0x5000 + 16, 0x1234);
	fw_fix_sum(bios + 0x5000, 20, 8);
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0xE0000, 0x20000, &found), 0);
	assert_int_equal(found, 0xE5000);
	fw_assert_logged("RSDP checksum mismatch at 0xe0100");
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);

	/* Range that stops before the real one; unaligned start. */
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0xE0001, 0x4FFF, &found), -ENOENT);
	/* The RSDP must fit inside the range. */
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0xE4000, 0x1010, &found), -ENOENT);
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0xE4000, 0x1014, &found), 0);
	/* Unmapped memory is skipped, not fatal. */
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0xD0000, 0x40000, &found), 0);
	assert_int_equal(found, 0xE5000);
	assert_int_equal(acpi_find_rsdp(&fw_mem, 0x100000, 0x20000, &found), -ENOENT);
	assert_int_equal(acpi_find_rsdp(&fw_mem, UINT64_MAX - 0x40, 0x100, &found), -ENOENT);
}

/* ---- complete firmware --------------------------------------------------- */

static void assert_standard_madt(void)
{
	assert_true(fw_info.has_madt);
	assert_int_equal(fw_info.lapic_address, 0xFEE00000);
	assert_int_equal(fw_info.madt_flags, 1);
	assert_int_equal(fw_info.cpu_count, 5);
	assert_int_equal(fw_info.cpus[0].apic_id, 0);
	assert_true(fw_info.cpus[0].enabled);
	assert_int_equal(fw_info.cpus[1].apic_id, 2);
	assert_int_equal(fw_info.cpus[1].uid, 1);
	assert_false(fw_info.cpus[2].enabled);
	assert_true(fw_info.cpus[2].online_capable);
	assert_false(fw_info.cpus[3].enabled);
	assert_false(fw_info.cpus[3].online_capable);
	assert_int_equal(fw_info.cpus[4].apic_id, 0x100);
	assert_int_equal(fw_info.cpus[4].uid, 0x20);
	assert_true(fw_info.cpus[4].from_x2apic_entry);
	assert_false(fw_info.cpus[0].from_x2apic_entry);
	assert_int_equal(fw_info.ioapic_count, 1);
	assert_int_equal(fw_info.ioapics[0].id, 8);
	assert_int_equal(fw_info.ioapics[0].address, 0xFEC00000);
	assert_int_equal(fw_info.ioapics[0].gsi_base, 0);
	assert_int_equal(fw_info.override_count, 2);
	assert_int_equal(fw_info.overrides[0].source_irq, 0);
	assert_int_equal(fw_info.overrides[0].gsi, 2);
	assert_int_equal(fw_info.overrides[1].source_irq, 9);
	assert_int_equal(fw_info.overrides[1].flags, 0x000D);
}

static void test_parse_v1(void **state)
{
	(void)state;
	fw_build(false);
	assert_int_equal(fw_parse(), 0);
	fw_assert_quiet();
	assert_int_equal(fw_info.rsdp_address, RSDP_ADDR);
	assert_int_equal(fw_info.rsdp_revision, 0);
	assert_string_equal(fw_info.oem_id, "FAKEOM");
	assert_false(fw_info.using_xsdt);
	assert_int_equal(fw_info.table_count, 2);
	assert_string_equal(fw_info.tables[0].signature, "FACP");
	assert_int_equal(fw_info.tables[0].address, FADT_ADDR);
	assert_int_equal(fw_info.tables[0].length, 116);
	assert_int_equal(fw_info.tables[0].revision, 1);
	assert_true(fw_info.tables[0].checksum_ok);
	assert_string_equal(fw_info.tables[1].signature, "APIC");
	assert_standard_madt();
	assert_true(fw_info.has_fadt);
	assert_int_equal(fw_info.fadt_revision, 1);
	assert_int_equal(fw_info.fadt_flags, 1);
	assert_int_equal(fw_info.sci_irq, 9);
	assert_int_equal(fw_info.iapc_boot_arch, 0);
	assert_int_equal(fw_info.pm1a_cnt.space_id, ACPI_GAS_SPACE_IO);
	assert_int_equal(fw_info.pm1a_cnt.bit_width, 16);
	assert_int_equal(fw_info.pm1a_cnt.address, 0x404);
	assert_int_equal(fw_info.pm1b_cnt.address, 0);
	assert_false(fw_info.has_reset_reg);
	assert_int_equal(fw_info.dsdt_address, DSDT_ADDR);
	assert_true(fw_info.has_s5);
	assert_int_equal(fw_info.s5_slp_typ_a, 5);
	assert_int_equal(fw_info.s5_slp_typ_b, 6);
}

static void test_parse_v2(void **state)
{
	(void)state;
	fw_build(true);
	assert_int_equal(fw_parse(), 0);
	fw_assert_quiet();
	assert_int_equal(fw_info.rsdp_revision, 2);
	assert_true(fw_info.using_xsdt);
	assert_int_equal(fw_info.table_count, 3);
	assert_string_equal(fw_info.tables[2].signature, "HPET");
	assert_standard_madt();
	assert_int_equal(fw_info.fadt_revision, 6);
	assert_int_equal(fw_info.tables[0].length, 276);
	assert_int_equal(fw_info.iapc_boot_arch, 3);
	assert_int_equal(fw_info.fadt_flags, (1u << 10) | 1);
	/* X_PM1a_CNT_BLK wins over the 32-bit block. */
	assert_int_equal(fw_info.pm1a_cnt.space_id, ACPI_GAS_SPACE_IO);
	assert_int_equal(fw_info.pm1a_cnt.address, 0x1804);
	assert_int_equal(fw_info.pm1a_cnt.access_size, 2);
	assert_int_equal(fw_info.pm1b_cnt.address, 0);
	assert_true(fw_info.has_reset_reg);
	assert_int_equal(fw_info.reset_reg.space_id, ACPI_GAS_SPACE_IO);
	assert_int_equal(fw_info.reset_reg.bit_width, 8);
	assert_int_equal(fw_info.reset_reg.address, 0xCF9);
	assert_int_equal(fw_info.reset_value, 6);
	assert_int_equal(fw_info.dsdt_address, DSDT_ADDR);
	assert_true(fw_info.has_s5);
}

static void test_parse_boot_loader_copy(void **state)
{
	uint8_t copy[36];

	(void)state;
	fw_build(true);
	memcpy(copy, fw_region_at(RSDP_ADDR)->data, 36);
	/* The copy is used; rsdp_phys is ignored. */
	assert_int_equal(acpi_parse(&fw_mem, copy, 36, 0xDEAD0, &fw_info), 0);
	assert_int_equal(fw_info.rsdp_address, 0);
	assert_true(fw_info.using_xsdt);
	fw_assert_quiet();
	/* An ACPI 1.0 copy (multiboot2's old-RSDP tag) of a revision 2 RSDP: RSDT only. */
	assert_int_equal(acpi_parse(&fw_mem, copy, 20, 0, &fw_info), 0);
	assert_false(fw_info.using_xsdt);
	fw_assert_logged(
	    "revision 2 but only 20 bytes readable, need 36; ignoring its XSDT address");
	log_capture_reset();
	assert_int_equal(acpi_parse(&fw_mem, copy, 19, 0, &fw_info), -EINVAL);
	fw_assert_logged("is 19 bytes");
}

static void test_parse_bad_rsdp(void **state)
{
	(void)state;
	fw_build(false);
	fw_region_at(RSDP_ADDR)->data[8] ^= 0x10;
	assert_int_equal(fw_parse(), -EINVAL);
	fw_assert_logged("acpi: RSDP checksum mismatch");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);
}

static void test_parse_bad_extended_checksum_uses_rsdt(void **state)
{
	(void)state;
	fw_build(true);
	fw_region_at(RSDP_ADDR)->data[32] ^= 1;
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.using_xsdt);
	assert_int_equal(fw_info.table_count, 2);
	fw_assert_logged("RSDP extended checksum mismatch at 0xf0000");
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
	assert_true(fw_info.has_madt);
}

static void test_parse_xsdt_unusable_falls_back(void **state)
{
	static const char *const expect[] = {
		"XSDT at 0x7ff01000: checksum mismatch",    "signature \"YSDT\", expected \"XSDT\"",
		"length 41 is not 36 plus a multiple of 8", "length 20 is below the 36-byte header",
		"the 36-byte header is not readable",
	};

	(void)state;
	for (int c = 0; c < 5; c++) {
		struct fw_region *x;

		fw_setup(NULL);
		fw_build(true);
		x = fw_region_at(XSDT_ADDR);
		if (c == 0)
			x->data[40] ^= 1;
		else if (c == 1)
			x->data[0] = 'Y';
		else if (c == 2)
			fw_put32(x->data + 4, 41);
		else if (c == 3)
			fw_put32(x->data + 4, 20);
		else
			fw_region_drop(XSDT_ADDR);
		if (c >= 1 && c <= 3)
			fw_tbl_refix(XSDT_ADDR);
		assert_int_equal(fw_parse(), 0);
		assert_false(fw_info.using_xsdt);
		assert_int_equal(fw_info.table_count, 2);
		assert_true(fw_info.has_madt && fw_info.has_fadt);
		fw_assert_logged(expect[c]);
		fw_assert_logged("falling back to the RSDT");
		assert_int_equal(log_capture_count(LOG_WARNING), 1);
		fw_teardown(NULL);
	}
	fw_setup(NULL);
}

static void test_parse_no_usable_root(void **state)
{
	(void)state;
	fw_build(true);
	fw_region_at(XSDT_ADDR)->data[40] ^= 1;
	fw_region_at(RSDT_ADDR)->data[36] ^= 1;
	assert_int_equal(fw_parse(), -EINVAL);
	fw_assert_logged("no usable RSDT or XSDT");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);
}

static void test_parse_table_bad_checksum(void **state)
{
	(void)state;
	fw_build(false);
	fw_region_at(MADT_ADDR)->data[36] ^= 1;
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.table_count, 2);
	assert_string_equal(fw_info.tables[1].signature, "APIC");
	assert_false(fw_info.tables[1].checksum_ok);
	assert_false(fw_info.has_madt);
	assert_int_equal(fw_info.cpu_count, 0);
	fw_assert_logged("acpi: APIC at 0x7ff03000: checksum mismatch");
	fw_assert_logged("acpi: no MADT; only the boot CPU will be used");
	assert_true(fw_info.has_fadt);
}

static void test_parse_table_truncated(void **state)
{
	struct fw_region *r;

	(void)state;
	fw_build(false);
	/* The FADT claims more bytes than are mapped. */
	r = fw_region_at(FADT_ADDR);
	fw_put32(r->data + 4, 300);
	fw_tbl_refix(FADT_ADDR);
	/* The MADT claims fewer bytes than its header. */
	r = fw_region_at(MADT_ADDR);
	fw_put32(r->data + 4, 12);
	fw_tbl_refix(MADT_ADDR);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.table_count, 2);
	assert_false(fw_info.tables[0].checksum_ok);
	assert_int_equal(fw_info.tables[0].length, 300);
	assert_false(fw_info.tables[1].checksum_ok);
	assert_false(fw_info.has_fadt);
	assert_false(fw_info.has_madt);
	fw_assert_logged("FACP at 0x7ff02000: length 300 runs into unreadable memory");
	fw_assert_logged("APIC at 0x7ff03000: length 12 is below the 36-byte header");
	fw_assert_logged("no FADT");
}

static void test_parse_bad_entries(void **state)
{
	uint64_t entries[] = { 0, 0x55550000, FADT_ADDR, MADT_ADDR };

	(void)state;
	fw_build(false);
	fw_region_add(0x55550000, 20); /* only 20 readable bytes: no header */
	fw_region_drop(RSDT_ADDR);
	fw_put_root(RSDT_ADDR, false, entries, 4);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.table_count, 2);
	assert_true(fw_info.has_fadt && fw_info.has_madt);
	fw_assert_logged("RSDT entry 0 is a null address");
	fw_assert_logged("RSDT entry 1 at 0x55550000: the 36-byte header is not readable");
	assert_int_equal(log_capture_count(LOG_WARNING), 2);
}

static void test_parse_absent_madt_fadt(void **state)
{
	uint64_t entries[] = { HPET_ADDR };

	(void)state;
	fw_build(false);
	fw_region_drop(RSDT_ADDR);
	fw_put_root(RSDT_ADDR, false, entries, 1);
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_madt);
	assert_false(fw_info.has_fadt);
	assert_false(fw_info.has_s5);
	assert_int_equal(fw_info.cpu_count, 0);
	fw_assert_logged("acpi: no MADT; only the boot CPU will be used");
	fw_assert_logged("acpi: no FADT");
	assert_int_equal(log_capture_count(LOG_WARNING), 2);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
}

static void test_parse_too_many_tables(void **state)
{
	uint64_t entries[40];

	(void)state;
	fw_build(true);
	fw_region_drop(XSDT_ADDR);
	for (int i = 0; i < 38; i++) {
		struct fw_tbl t;

		entries[i] = BIG_ADDR + 0x100 * (uint64_t)i;
		fw_tbl_begin(&t, "SSDT", 2);
		fw_tbl_place(&t, entries[i]);
	}
	/* MADT and FADT beyond the listed limit are still used. */
	entries[38] = MADT_ADDR;
	entries[39] = FADT_ADDR;
	fw_put_root(XSDT_ADDR, true, entries, 40);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.table_count, ACPI_MAX_TABLES);
	assert_true(fw_info.has_madt && fw_info.has_fadt && fw_info.has_s5);
	fw_assert_logged("more than 32 tables");
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
}

static void test_parse_duplicate_tables(void **state)
{
	uint64_t entries[] = { FADT_ADDR, MADT_ADDR, MADT_ADDR + 0x800, FADT_ADDR };
	struct fw_tbl t;

	(void)state;
	fw_build(false);
	fw_madt_begin(&t, 0xFEE00000, 0);
	fw_madt_lapic(&t, 0, 7, 1);
	fw_tbl_place(&t, MADT_ADDR + 0x800);
	fw_region_drop(RSDT_ADDR);
	fw_put_root(RSDT_ADDR, false, entries, 4);
	assert_int_equal(fw_parse(), 0);
	assert_standard_madt();
	fw_assert_logged("second APIC at 0x7ff03800; using the first one");
	fw_assert_logged("second FACP at 0x7ff02000");
	assert_int_equal(log_capture_count(LOG_WARNING), 2);
}

/* ---- MADT ---------------------------------------------------------------- */

/* Firmware whose MADT is the one in t. */
static void build_with_madt(struct fw_tbl *t)
{
	fw_build(false);
	fw_region_drop(MADT_ADDR);
	fw_tbl_place(t, MADT_ADDR);
}

static void test_madt_entry_length_zero(void **state)
{
	struct fw_tbl t;
	static const uint8_t bad[4] = { 0, 0, 1, 1 };

	(void)state;
	fw_madt_begin(&t, 0xFEE00000, 0);
	fw_madt_lapic(&t, 0, 0, 1);
	fw_tbl_add(&t, bad, sizeof(bad));
	fw_madt_lapic(&t, 1, 1, 1);
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_true(fw_info.has_madt);
	assert_int_equal(fw_info.cpu_count, 1);
	fw_assert_logged("APIC entry type 0 at offset 52: length 0 is below 2");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);
}

static void test_madt_entry_past_end(void **state)
{
	struct fw_tbl t;
	static const uint8_t bad[6] = { 1, 12, 1, 0, 0, 0 };

	(void)state;
	fw_madt_begin(&t, 0xFEE00000, 0);
	fw_madt_lapic(&t, 0, 0, 1);
	fw_tbl_add(&t, bad, sizeof(bad));
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.cpu_count, 1);
	assert_int_equal(fw_info.ioapic_count, 0);
	fw_assert_logged(
	    "APIC entry type 1 at offset 52: length 12 runs past the table end (6 bytes");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);

	/* A single trailing byte cannot even hold an entry header. */
	fw_setup(NULL);
	fw_madt_begin(&t, 0xFEE00000, 0);
	fw_madt_lapic(&t, 0, 0, 1);
	fw_tbl_add(&t, bad, 1);
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.cpu_count, 1);
	fw_assert_logged("APIC entry at offset 52: only 1 byte left");
}

static void test_madt_entry_too_short_for_type(void **state)
{
	struct fw_tbl t;
	static const uint8_t short_x2[12] = { 9, 12, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0 };

	(void)state;
	fw_madt_begin(&t, 0xFEE00000, 0);
	fw_tbl_add(&t, short_x2, sizeof(short_x2));
	fw_madt_lapic(&t, 1, 1, 1);
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.cpu_count, 1);
	assert_int_equal(fw_info.cpus[0].apic_id, 1);
	fw_assert_logged(
	    "APIC entry type 9 (local x2APIC) at offset 44: length 12, need 16; skipped");
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
}

static void test_madt_duplicates_and_override(void **state)
{
	struct fw_tbl t;
	uint8_t ov[12] = { 5, 12 };

	(void)state;
	fw_madt_begin(&t, 0xFEE00000, 0);
	fw_madt_lapic(&t, 0, 0, 1);
	fw_madt_lapic(&t, 1, 1, 1);
	fw_madt_x2apic(&t, 1, 1, 1);
	fw_madt_x2apic(&t, 0, 1, 0);
	fw_put64(ov + 4, 0x1FEE00000ull);
	fw_tbl_add(&t, ov, sizeof(ov));
	fw_put64(ov + 4, 0); /* an override to address 0 is ignored */
	fw_tbl_add(&t, ov, sizeof(ov));
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.cpu_count, 2);
	assert_false(fw_info.cpus[1].from_x2apic_entry);
	assert_int_equal(fw_info.lapic_address, 0x1FEE00000ull);
	fw_assert_logged("APIC lists APIC id 1 more than once");
	fw_assert_logged("(local APIC address override) at offset 104: address 0; ignored");
	assert_int_equal(log_capture_count(LOG_WARNING), 2);
}

static void test_madt_limits(void **state)
{
	struct fw_tbl t;

	(void)state;
	fw_madt_begin(&t, 0xFEE00000, 0);
	for (uint32_t i = 0; i < 300; i++)
		fw_madt_x2apic(&t, i * 2, 1, i);
	for (uint8_t i = 0; i < 10; i++)
		fw_madt_ioapic(&t, i, 0xFEC00000 + i * 0x1000u, i * 24u);
	for (uint8_t i = 0; i < 20; i++)
		fw_madt_iso(&t, i, i, 0);
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.cpu_count, ACPI_MAX_CPUS);
	assert_int_equal(fw_info.cpus[255].apic_id, 510);
	assert_int_equal(fw_info.ioapic_count, ACPI_MAX_IOAPICS);
	assert_int_equal(fw_info.ioapics[7].gsi_base, 7 * 24);
	assert_int_equal(fw_info.override_count, ACPI_MAX_OVERRIDES);
	fw_assert_logged("more than 256 CPUs");
	fw_assert_logged("more than 8 IOAPICs");
	fw_assert_logged("more than 16 interrupt source overrides");
	assert_int_equal(log_capture_count(LOG_WARNING), 3);
}

static void test_madt_short_table(void **state)
{
	struct fw_tbl t;

	(void)state;
	fw_tbl_begin(&t, "APIC", 1);
	fw_tbl_add(&t, "\0\0\xE0\xFE", 4);
	build_with_madt(&t);
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_madt);
	fw_assert_logged("length 40 is below the 44 bytes");
}

/* ---- FADT ---------------------------------------------------------------- */

static void test_fadt_reset_flag_on_short_fadt(void **state)
{
	(void)state;
	fw_build(false);
	fw_region_drop(FADT_ADDR);
	fw_put_fadt(FADT_ADDR, 1, 1u << 10);
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_reset_reg);
	fw_assert_logged("RESET_REG_SUP is set but length 116 has no room");
	assert_int_equal(log_capture_count(LOG_WARNING), 1);

	/* Long enough, flag set, but no register. */
	fw_setup(NULL);
	fw_build(true);
	memset(fw_region_at(FADT_ADDR)->data + 116, 0, 12);
	fw_tbl_refix(FADT_ADDR);
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_reset_reg);
	fw_assert_logged("RESET_REG_SUP is set but RESET_REG address is 0");
}

static void test_fadt_fields_and_dsdt(void **state)
{
	struct fw_region *r;

	(void)state;
	fw_build(true);
	r = fw_region_at(FADT_ADDR);
	fw_put32(r->data + 40, 0x1000); /* DSDT differs from X_DSDT */
	memset(r->data + 172, 0, 12);	/* no X_PM1a: the 32-bit block is used */
	fw_put32(r->data + 68, 0x408);
	r->data[89] = 0; /* invalid PM1_CNT_LEN */
	fw_tbl_refix(FADT_ADDR);
	assert_int_equal(fw_parse(), 0);
	assert_int_equal(fw_info.dsdt_address, DSDT_ADDR);
	assert_int_equal(fw_info.pm1a_cnt.address, 0x404);
	assert_int_equal(fw_info.pm1a_cnt.bit_width, 16);
	assert_int_equal(fw_info.pm1b_cnt.address, 0x408);
	fw_assert_logged("X_DSDT 0x7ff04000 and DSDT 0x1000 differ");
	fw_assert_logged("PM1_CNT_LEN 0 is invalid");
	assert_int_equal(log_capture_count(LOG_WARNING), 2);

	/* A FADT shorter than ACPI 1.0's: only the covered fields are read. */
	fw_setup(NULL);
	fw_build(false);
	r = fw_region_at(FADT_ADDR);
	fw_put32(r->data + 4, 80);
	r->len = 80;
	fw_tbl_refix(FADT_ADDR);
	assert_int_equal(fw_parse(), 0);
	assert_true(fw_info.has_fadt);
	assert_int_equal(fw_info.pm1a_cnt.address, 0x404);
	assert_int_equal(fw_info.fadt_flags, 0);
	assert_true(fw_info.has_s5);
	fw_assert_logged("length 80 is below the 116 bytes");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fw_setup, fw_teardown)
	const struct CMUnitTest tests[] = {
		T(test_check_rsdp_valid),
		T(test_check_rsdp_bad_signature_checksum),
		T(test_check_rsdp_bad_extended),
		T(test_check_rsdp_v2_only_v1_mapped),
		T(test_bad_arguments),
		T(test_find_rsdp),
		T(test_parse_v1),
		T(test_parse_v2),
		T(test_parse_boot_loader_copy),
		T(test_parse_bad_rsdp),
		T(test_parse_bad_extended_checksum_uses_rsdt),
		T(test_parse_xsdt_unusable_falls_back),
		T(test_parse_no_usable_root),
		T(test_parse_table_bad_checksum),
		T(test_parse_table_truncated),
		T(test_parse_bad_entries),
		T(test_parse_absent_madt_fadt),
		T(test_parse_too_many_tables),
		T(test_parse_duplicate_tables),
		T(test_madt_entry_length_zero),
		T(test_madt_entry_past_end),
		T(test_madt_entry_too_short_for_type),
		T(test_madt_duplicates_and_override),
		T(test_madt_limits),
		T(test_madt_short_table),
		T(test_fadt_reset_flag_on_short_fadt),
		T(test_fadt_fields_and_dsdt),
	};
#undef T
	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
