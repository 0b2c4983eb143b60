/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake firmware for the ACPI parser tests: a fake physical memory made of
 * exact-size heap regions, and builders for RSDP, root tables, MADT, FADT
 * and AML tables with correct checksums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/log.h"
#include "tests/log_capture.h"
#include "tests/acpi_fw.h"

/* ---- fake physical memory ------------------------------------------------ */

/*
 * Every map() call returns a fresh heap copy of exactly the bytes asked
 * for, freed at teardown, so ASan flags any read past what the parser mapped.
 */
static struct {
	struct fw_region regions[96];
	int nregions;
	void **copies;
	size_t ncopies, cap;
} fm;

static const void *fake_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	for (int i = 0; i < fm.nregions; i++) {
		struct fw_region *r = &fm.regions[i];
		void *copy;

		if (phys < r->base || phys - r->base > r->len || len > r->len - (phys - r->base))
			continue;
		if (fm.ncopies == fm.cap) {
			fm.cap = fm.cap ? fm.cap * 2 : 64;
			fm.copies = realloc(fm.copies, fm.cap * sizeof(*fm.copies));
			assert_non_null(fm.copies);
		}
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, r->data + (phys - r->base), len);
		fm.copies[fm.ncopies++] = copy;
		return copy;
	}
	return NULL;
}

const struct acpi_mem fw_mem = { .map = fake_map, .ctx = NULL };
struct acpi_info fw_info;

uint8_t *fw_region_add(uint64_t base, size_t len)
{
	struct fw_region *r;

	assert_true(fm.nregions < (int)(sizeof(fm.regions) / sizeof(fm.regions[0])));
	r = &fm.regions[fm.nregions++];
	r->base = base;
	r->len = len;
	r->data = calloc(1, len);
	assert_non_null(r->data);
	return r->data;
}

void fw_region_drop(uint64_t base)
{
	struct fw_region *r = fw_region_at(base);

	free(r->data);
	*r = fm.regions[--fm.nregions];
}

struct fw_region *fw_region_at(uint64_t base)
{
	for (int i = 0; i < fm.nregions; i++)
		if (fm.regions[i].base == base)
			return &fm.regions[i];
	fail_msg("no fw_region at %#llx", (unsigned long long)base);
	return NULL;
}

static void fm_free(void)
{
	for (int i = 0; i < fm.nregions; i++)
		free(fm.regions[i].data);
	for (size_t i = 0; i < fm.ncopies; i++)
		free(fm.copies[i]);
	free(fm.copies);
	memset(&fm, 0, sizeof(fm));
}

/* Also used inside a test to start over with empty memory. */
int fw_setup(void **state)
{
	(void)state;
	fm_free();
	memset(&fw_info, 0xA5, sizeof(fw_info));
	log_capture_reset();
	return 0;
}

int fw_teardown(void **state)
{
	(void)state;
	fm_free();
	return 0;
}

/* ---- firmware builders --------------------------------------------------- */

void fw_put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

void fw_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void fw_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Makes `len` bytes at p sum to 0 by adjusting the byte at cksum. */
void fw_fix_sum(uint8_t *p, size_t len, size_t cksum)
{
	p[cksum] = 0;
	p[cksum] = (uint8_t)(0x100 - sum8(p, len));
}

void fw_tbl_begin(struct fw_tbl *t, const char *sig, uint8_t rev)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->b, sig, 4);
	t->b[8] = rev;
	memcpy(t->b + 10, "TESTOE", 6);
	memcpy(t->b + 16, "TESTTBL ", 8);
	t->n = 36;
}

void fw_tbl_add(struct fw_tbl *t, const void *bytes, size_t len)
{
	assert_true(t->n + len <= sizeof(t->b));
	memcpy(t->b + t->n, bytes, len);
	t->n += len;
}

/* Sets the length field, the checksum, and copies the table into an exact-size fw_region. */
uint8_t *fw_tbl_place(struct fw_tbl *t, uint64_t addr)
{
	uint8_t *d = fw_region_add(addr, t->n);

	fw_put32(t->b + 4, (uint32_t)t->n);
	fw_fix_sum(t->b, t->n, 9);
	memcpy(d, t->b, t->n);
	return d;
}

/* Rewrites a placed table's byte and recomputes the checksum over the fw_region. */
void fw_tbl_refix(uint64_t addr)
{
	struct fw_region *r = fw_region_at(addr);
	uint32_t length;

	memcpy(&length, r->data + 4, 4);
	/* Over the claimed length when it is mapped, so the table passes up to its other checks. */
	fw_fix_sum(r->data, length >= 10 && length <= r->len ? length : r->len, 9);
}

void fw_put_rsdp(uint64_t addr, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t *p = fw_region_add(addr, rev >= 2 ? 36 : 20);

	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "FAKEOM", 6);
	p[15] = rev;
	fw_put32(p + 16, rsdt);
	fw_fix_sum(p, 20, 8);
	if (rev >= 2) {
		fw_put32(p + 20, 36);
		fw_put64(p + 24, xsdt);
		fw_fix_sum(p, 36, 32);
	}
}

void fw_put_root(uint64_t addr, bool xsdt, const uint64_t *entries, int n)
{
	struct fw_tbl t;

	fw_tbl_begin(&t, xsdt ? "XSDT" : "RSDT", 1);
	for (int i = 0; i < n; i++) {
		uint8_t e[8];

		fw_put64(e, entries[i]);
		fw_tbl_add(&t, e, xsdt ? 8 : 4);
	}
	fw_tbl_place(&t, addr);
}

void fw_madt_begin(struct fw_tbl *t, uint32_t lapic, uint32_t flags)
{
	uint8_t b[8];

	fw_tbl_begin(t, "APIC", 5);
	fw_put32(b, lapic);
	fw_put32(b + 4, flags);
	fw_tbl_add(t, b, 8);
}

void fw_madt_lapic(struct fw_tbl *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, id };

	fw_put32(e + 4, flags);
	fw_tbl_add(t, e, sizeof(e));
}

void fw_madt_x2apic(struct fw_tbl *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	uint8_t e[16] = { 9, 16 };

	fw_put32(e + 4, id);
	fw_put32(e + 8, flags);
	fw_put32(e + 12, uid);
	fw_tbl_add(t, e, sizeof(e));
}

void fw_madt_ioapic(struct fw_tbl *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint8_t e[12] = { 1, 12, id };

	fw_put32(e + 4, addr);
	fw_put32(e + 8, gsi);
	fw_tbl_add(t, e, sizeof(e));
}

void fw_madt_iso(struct fw_tbl *t, uint8_t src, uint32_t gsi, uint16_t flags)
{
	uint8_t e[10] = { 2, 10, 0, src };

	fw_put32(e + 4, gsi);
	fw_put16(e + 8, flags);
	fw_tbl_add(t, e, sizeof(e));
}

void fw_standard_madt(struct fw_tbl *t)
{
	static const uint8_t unknown[6] = { 0x7F, 6, 1, 2, 3, 4 };

	fw_madt_begin(t, 0xFEE00000, 1);
	fw_madt_lapic(t, 0, 0, 1);
	fw_madt_lapic(t, 1, 2, 1);
	fw_madt_lapic(t, 2, 4, 2); /* disabled, online capable */
	fw_madt_lapic(t, 3, 6, 0); /* disabled */
	fw_madt_ioapic(t, 8, 0xFEC00000, 0);
	fw_madt_iso(t, 0, 2, 0);
	fw_madt_iso(t, 9, 9, 0x000D);
	fw_tbl_add(t, unknown, sizeof(unknown));
	fw_madt_x2apic(t, 0x100, 1, 0x20);
}

/* FADT rev 1 (116 bytes) or rev 6 (276 bytes). */
void fw_put_fadt(uint64_t addr, int rev, uint32_t flags)
{
	struct fw_tbl t;
	uint8_t *b = t.b;

	fw_tbl_begin(&t, "FACP", (uint8_t)rev);
	t.n = rev >= 3 ? 276 : 116;
	fw_put32(b + 36, 0x7FF0F000);
	fw_put16(b + 46, 9);
	fw_put32(b + 64, 0x404);
	b[89] = 2;
	fw_put32(b + 112, flags);
	if (rev >= 3) {
		fw_put16(b + 109, 0x3);
		b[116] = 1; /* RESET_REG: I/O 0xCF9, 8 bits */
		b[117] = 8;
		b[119] = 1;
		fw_put64(b + 120, 0xCF9);
		b[128] = 6;
		fw_put64(b + 140, DSDT_ADDR);
		b[172] = 1; /* X_PM1a_CNT_BLK */
		b[173] = 16;
		b[175] = 2;
		fw_put64(b + 176, 0x1804);
	} else {
		fw_put32(b + 40, (uint32_t)DSDT_ADDR);
	}
	fw_tbl_place(&t, addr);
}

/* An _S5_ package as firmware compilers emit it, after some unrelated AML. */
const uint8_t fw_s5_aml[FW_S5_AML_LEN] = {
	0x10, 0x05, 0x5C, 0x5F, 0x53, 0x42, 0x5F,		    /* Scope (\_SB_) */
	0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08, 0x04,	    /* Name (\_S5_, Package (4) */
	0x0A, 0x05, 0x0A, 0x06, 0x00, 0x00,			    /* { 5, 6, 0, 0 } */
	0x14, 0x08, 0x5F, 0x50, 0x54, 0x53, 0x01, 0xA3, 0xA3, 0xA3, /* Method (_PTS) */
};

void fw_put_aml_table(uint64_t addr, const char *sig, const uint8_t *aml, size_t len)
{
	struct fw_tbl t;

	fw_tbl_begin(&t, sig, 2);
	fw_tbl_add(&t, aml, len);
	fw_tbl_place(&t, addr);
}

/* Complete firmware: RSDP v1 or v2, RSDT (and XSDT), FADT, MADT, DSDT. */
void fw_build(bool v2)
{
	uint64_t entries[] = { FADT_ADDR, MADT_ADDR, HPET_ADDR };
	struct fw_tbl t;

	fw_put_rsdp(RSDP_ADDR, v2 ? 2 : 0, (uint32_t)RSDT_ADDR, v2 ? XSDT_ADDR : 0);
	fw_put_root(RSDT_ADDR, false, entries, 2);
	if (v2)
		fw_put_root(XSDT_ADDR, true, entries, 3);
	fw_put_fadt(FADT_ADDR, v2 ? 6 : 1, v2 ? (1u << 10) | 1 : 1);
	fw_standard_madt(&t);
	fw_tbl_place(&t, MADT_ADDR);
	fw_tbl_begin(&t, "HPET", 1);
	fw_tbl_add(&t, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
	fw_tbl_place(&t, HPET_ADDR);
	fw_put_aml_table(DSDT_ADDR, "DSDT", fw_s5_aml, sizeof(fw_s5_aml));
}

int fw_parse(void)
{
	return acpi_parse(&fw_mem, NULL, 0, RSDP_ADDR, &fw_info);
}

void fw_assert_quiet(void)
{
	if (log_capture_count(LOG_WARNING) || log_capture_count(LOG_ERROR))
		log_capture_dump();
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
}

void fw_assert_logged(const char *text)
{
	if (!log_capture_contains(text)) {
		log_capture_dump();
		fail_msg("no message contains \"%s\"", text);
	}
}
