/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MADT (CPUs, IOAPICs, interrupt overrides) and FADT (power management
 * registers, reset register, DSDT address). The caller has verified the
 * table's length and checksum; these check every field and entry against
 * that length before reading it.
 */
#include "core/acpi_internal.h"

#include "debug/log.h"
#include "lib/string.h"

/* MADT. */
#define MADT_LAPIC_ADDR	   36
#define MADT_FLAGS	   40
#define MADT_ENTRIES	   44
#define MADT_LAPIC	   0
#define MADT_IOAPIC	   1
#define MADT_ISO	   2
#define MADT_LAPIC_ADDR_OV 5
#define MADT_X2APIC	   9
#define MADT_CPU_ENABLED   (1u << 0)
#define MADT_CPU_ONLINE_OK (1u << 1)

/* FADT field offsets. */
#define FADT_DSDT	     40
#define FADT_SCI_INT	     46
#define FADT_PM1A_CNT	     64
#define FADT_PM1B_CNT	     68
#define FADT_PM1_CNT_LEN     89
#define FADT_IAPC_BOOT_ARCH  109
#define FADT_FLAGS	     112
#define FADT_RESET_REG	     116
#define FADT_RESET_VALUE     128
#define FADT_X_DSDT	     140
#define FADT_X_PM1A_CNT	     172
#define FADT_X_PM1B_CNT	     184
#define FADT_V1_LEN	     116
#define FADT_RESET_REG_SUP   (1u << 10)
#define GAS_LEN		     12
#define PM1_CNT_DEFAULT_BITS 16

/* Warn-once flags of one MADT walk. */
struct madt_state {
	bool cpus_full_warned;
	bool ioapics_full_warned;
	bool overrides_full_warned;
	bool dup_cpu_warned;
};

static void get_gas(const uint8_t *p, struct acpi_gas *gas)
{
	gas->space_id = p[0];
	gas->bit_width = p[1];
	gas->bit_offset = p[2];
	gas->access_size = p[3];
	gas->address = acpi_get_u64(p + 4);
}

/* ---- MADT ---------------------------------------------------------------- */

static void madt_add_cpu(struct acpi_info *out, struct madt_state *st, uint32_t apic_id,
			 uint32_t uid, uint32_t flags, bool x2apic)
{
	struct acpi_cpu *cpu;

	for (uint32_t i = 0; i < out->cpu_count; i++) {
		if (out->cpus[i].apic_id != apic_id)
			continue;
		/* Firmware may list a CPU both as local APIC and as x2APIC; once is enough. */
		if (!st->dup_cpu_warned)
			pr_warn("acpi: APIC lists APIC id %u more than once; keeping the first "
				"entry",
				apic_id);
		else
			pr_debug("acpi: APIC lists APIC id %u more than once", apic_id);
		st->dup_cpu_warned = true;
		return;
	}
	if (out->cpu_count >= ACPI_MAX_CPUS) {
		if (!st->cpus_full_warned)
			pr_warn("acpi: APIC lists more than %d CPUs; using the first %d",
				ACPI_MAX_CPUS, ACPI_MAX_CPUS);
		st->cpus_full_warned = true;
		return;
	}
	cpu = &out->cpus[out->cpu_count++];
	cpu->apic_id = apic_id;
	cpu->uid = uid;
	cpu->enabled = (flags & MADT_CPU_ENABLED) != 0;
	cpu->online_capable = (flags & MADT_CPU_ONLINE_OK) != 0;
	cpu->from_x2apic_entry = x2apic;
}

static void madt_add_ioapic(struct acpi_info *out, struct madt_state *st, const uint8_t *e)
{
	struct acpi_ioapic *io;

	if (out->ioapic_count >= ACPI_MAX_IOAPICS) {
		if (!st->ioapics_full_warned)
			pr_warn("acpi: APIC lists more than %d IOAPICs; using the first %d",
				ACPI_MAX_IOAPICS, ACPI_MAX_IOAPICS);
		st->ioapics_full_warned = true;
		return;
	}
	io = &out->ioapics[out->ioapic_count++];
	io->id = e[2];
	io->address = acpi_get_u32(e + 4);
	io->gsi_base = acpi_get_u32(e + 8);
}

static void madt_add_override(struct acpi_info *out, struct madt_state *st, const uint8_t *e)
{
	struct acpi_override *ov;

	if (out->override_count >= ACPI_MAX_OVERRIDES) {
		if (!st->overrides_full_warned)
			pr_warn("acpi: APIC lists more than %d interrupt source overrides; using "
				"the first %d",
				ACPI_MAX_OVERRIDES, ACPI_MAX_OVERRIDES);
		st->overrides_full_warned = true;
		return;
	}
	ov = &out->overrides[out->override_count++];
	ov->bus = e[2];
	ov->source_irq = e[3];
	ov->gsi = acpi_get_u32(e + 4);
	ov->flags = acpi_get_u16(e + 8);
}

/* The length each entry type needs; 0 for types we skip. */
static uint8_t madt_entry_min_len(uint8_t type, const char **name)
{
	switch (type) {
	case MADT_LAPIC:
		*name = "local APIC";
		return 8;
	case MADT_IOAPIC:
		*name = "IOAPIC";
		return 12;
	case MADT_ISO:
		*name = "interrupt source override";
		return 10;
	case MADT_LAPIC_ADDR_OV:
		*name = "local APIC address override";
		return 12;
	case MADT_X2APIC:
		*name = "local x2APIC";
		return 16;
	default:
		*name = "unknown";
		return 0;
	}
}

static void madt_entry(struct acpi_info *out, struct madt_state *st, const uint8_t *e, uint32_t off)
{
	const char *name;
	uint8_t need = madt_entry_min_len(e[0], &name);
	uint64_t addr;

	if (need == 0)
		return;
	if (e[1] < need) {
		pr_warn("acpi: APIC entry type %u (%s) at offset %u: length %u, need %u; skipped",
			e[0], name, off, e[1], need);
		return;
	}
	switch (e[0]) {
	case MADT_LAPIC:
		madt_add_cpu(out, st, e[3], e[2], acpi_get_u32(e + 4), false);
		break;
	case MADT_IOAPIC:
		madt_add_ioapic(out, st, e);
		break;
	case MADT_ISO:
		madt_add_override(out, st, e);
		break;
	case MADT_LAPIC_ADDR_OV:
		addr = acpi_get_u64(e + 4);
		if (addr == 0) {
			pr_warn("acpi: APIC entry type 5 (%s) at offset %u: address 0; ignored",
				name, off);
			break;
		}
		out->lapic_address = addr;
		break;
	case MADT_X2APIC:
		madt_add_cpu(out, st, acpi_get_u32(e + 4), acpi_get_u32(e + 12),
			     acpi_get_u32(e + 8), true);
		break;
	}
}

void acpi_madt_parse(struct acpi_info *out, const struct acpi_table *t)
{
	struct madt_state state = { 0 };
	struct madt_state *st = &state;
	const uint8_t *d = t->data;
	uint32_t off;

	if (t->length < MADT_ENTRIES) {
		pr_warn("acpi: APIC at %#llx: length %u is below the %d bytes holding the local "
			"APIC address and flags; not used",
			(unsigned long long)t->address, t->length, MADT_ENTRIES);
		return;
	}
	out->has_madt = true;
	out->lapic_address = acpi_get_u32(d + MADT_LAPIC_ADDR);
	out->madt_flags = acpi_get_u32(d + MADT_FLAGS);
	for (off = MADT_ENTRIES; off < t->length; off += d[off + 1]) {
		uint32_t left = t->length - off;

		/* A bad entry length hides where the next entry starts: stop there. */
		if (left < 2) {
			pr_err(
			    "acpi: APIC entry at offset %u: only %u byte left, an entry needs 2; "
			    "ignoring it",
			    off, left);
			break;
		}
		if (d[off + 1] < 2) {
			pr_err("acpi: APIC entry type %u at offset %u: length %u is below 2; "
			       "ignoring the rest of the table",
			       d[off], off, d[off + 1]);
			break;
		}
		if (d[off + 1] > left) {
			pr_err(
			    "acpi: APIC entry type %u at offset %u: length %u runs past the table "
			    "end (%u bytes left); ignoring it",
			    d[off], off, d[off + 1], left);
			break;
		}
		madt_entry(out, st, d + off, off);
	}
}

/* ---- FADT ---------------------------------------------------------------- */

/* X_PM1x_CNT_BLK when present and nonzero, else the 32-bit I/O port block. */
static void fadt_pm1_cnt(const struct acpi_table *t, uint32_t legacy_off, uint32_t x_off,
			 uint8_t cnt_bits, struct acpi_gas *gas)
{
	const uint8_t *d = t->data;

	if (t->length >= x_off + GAS_LEN) {
		get_gas(d + x_off, gas);
		if (gas->address != 0)
			return;
	}
	memset(gas, 0, sizeof(*gas));
	if (t->length >= legacy_off + 4 && acpi_get_u32(d + legacy_off) != 0) {
		gas->space_id = ACPI_GAS_SPACE_IO;
		gas->bit_width = cnt_bits;
		gas->address = acpi_get_u32(d + legacy_off);
	}
}

void acpi_fadt_parse(struct acpi_info *out, const struct acpi_table *t)
{
	const uint8_t *d = t->data;
	uint32_t len = t->length;
	unsigned long long addr = (unsigned long long)t->address;
	uint32_t dsdt32 = 0;
	uint64_t x_dsdt = 0;
	uint8_t cnt_bits = PM1_CNT_DEFAULT_BITS;

#define FADT_HAS(off, size) (len >= (uint32_t)(off) + (size))
	out->has_fadt = true;
	out->fadt_revision = t->revision;
	if (len < FADT_V1_LEN)
		pr_warn("acpi: FACP at %#llx: length %u is below the %d bytes of an ACPI 1.0 "
			"FADT; reading only the fields it covers",
			addr, len, FADT_V1_LEN);
	if (FADT_HAS(FADT_DSDT, 4))
		dsdt32 = acpi_get_u32(d + FADT_DSDT);
	if (FADT_HAS(FADT_X_DSDT, 8))
		x_dsdt = acpi_get_u64(d + FADT_X_DSDT);
	/* The spec makes a nonzero X_DSDT take precedence over DSDT. */
	out->dsdt_address = x_dsdt ? x_dsdt : dsdt32;
	if (x_dsdt && dsdt32 && x_dsdt != dsdt32)
		pr_warn("acpi: FACP at %#llx: X_DSDT %#llx and DSDT %#x differ; using X_DSDT", addr,
			(unsigned long long)x_dsdt, dsdt32);
	if (FADT_HAS(FADT_SCI_INT, 2))
		out->sci_irq = acpi_get_u16(d + FADT_SCI_INT);
	if (FADT_HAS(FADT_PM1_CNT_LEN, 1)) {
		uint8_t cnt_len = d[FADT_PM1_CNT_LEN];

		/* PM1_CNT is at least 2 bytes; a width that does not fit a GAS is nonsense. */
		if (cnt_len >= 2 && cnt_len <= 31)
			cnt_bits = (uint8_t)(cnt_len * 8);
		else if (acpi_get_u32(d + FADT_PM1A_CNT) != 0)
			pr_warn("acpi: FACP at %#llx: PM1_CNT_LEN %u is invalid; assuming %d bits",
				addr, cnt_len, PM1_CNT_DEFAULT_BITS);
	}
	fadt_pm1_cnt(t, FADT_PM1A_CNT, FADT_X_PM1A_CNT, cnt_bits, &out->pm1a_cnt);
	fadt_pm1_cnt(t, FADT_PM1B_CNT, FADT_X_PM1B_CNT, cnt_bits, &out->pm1b_cnt);
	if (FADT_HAS(FADT_IAPC_BOOT_ARCH, 2))
		out->iapc_boot_arch = acpi_get_u16(d + FADT_IAPC_BOOT_ARCH);
	if (FADT_HAS(FADT_FLAGS, 4))
		out->fadt_flags = acpi_get_u32(d + FADT_FLAGS);
	if (out->fadt_flags & FADT_RESET_REG_SUP) {
		if (!FADT_HAS(FADT_RESET_VALUE, 1)) {
			pr_warn("acpi: FACP at %#llx: RESET_REG_SUP is set but length %u has no "
				"room for RESET_REG/RESET_VALUE (needs %d); no ACPI reset",
				addr, len, FADT_RESET_VALUE + 1);
		} else {
			get_gas(d + FADT_RESET_REG, &out->reset_reg);
			out->reset_value = d[FADT_RESET_VALUE];
			out->has_reset_reg = out->reset_reg.address != 0;
			if (!out->has_reset_reg)
				pr_warn("acpi: FACP at %#llx: RESET_REG_SUP is set but RESET_REG "
					"address is 0; no ACPI reset",
					addr);
		}
	}
#undef FADT_HAS
}
