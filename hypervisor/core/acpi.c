/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ACPI table parser: RSDP, RSDT/XSDT, the walk over the tables they list
 * and the DSDT/SSDT \_S5_ lookup. MADT and FADT fields are decoded in
 * acpi_tables.c, the AML in acpi_aml.c. The tables come from firmware and
 * are untrusted: a length is used only after the accessor has mapped
 * everything it covers, and each field is read only when the table is long
 * enough to hold it.
 */
#include "core/acpi.h"

#include "core/acpi_internal.h"

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/format.h"
#include "lib/string.h"

#define RSDP_V1_LEN 20
#define RSDP_V2_LEN 36

/* RSDP field offsets. */
#define RSDP_OEM_ID   9
#define RSDP_REVISION 15
#define RSDP_RSDT     16
#define RSDP_LENGTH   20
#define RSDP_XSDT     24

/* System description header field offsets. */
#define HDR_LENGTH   4
#define HDR_REVISION 8

struct rsdp_fields {
	uint8_t revision;
	char oem_id[7];
	uint32_t rsdt;
	uint64_t xsdt; /* 0 unless the ACPI 2.0 part checked out */
};

struct root_table {
	const uint8_t *data;
	const char *name;
	uint32_t count;
	uint32_t entry_size;
};

/* \_S5_ search results of one source (DSDT or the SSDTs). */
struct s5_result {
	bool found;
	bool malformed;
	uint8_t a, b;
};

/* Warn-once flag and SSDT results kept while walking the root table. */
struct parse_state {
	bool tables_full_warned;
	struct s5_result ssdt_s5;
};

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum;
}

/* Copies firmware text for messages; control bytes would garble the console. */
static void acpi_copy_text(char *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) ? (char)src[i] : '?';
	dst[n] = '\0';
}

/* Ranges that wrap around the address space are never mapped. */
static const uint8_t *acpi_map(const struct acpi_mem *mem, uint64_t phys, size_t len)
{
	if (len == 0 || phys > UINT64_MAX - (len - 1))
		return NULL;
	return mem->map(mem->ctx, phys, len);
}

/* ---- RSDP ---------------------------------------------------------------- */

/* Signature and ACPI 1.0 checksum of the first 20 bytes. */
static bool rsdp_v1_ok(const uint8_t *p, int level, const char *where)
{
	uint8_t sum;

	if (memcmp(p, "RSD PTR ", 8) != 0) {
		char sig[9];

		acpi_copy_text(sig, p, 8);
		log_message(level, "acpi: RSDP %s: signature \"%s\", expected \"RSD PTR \"", where,
			    sig);
		return false;
	}
	sum = acpi_checksum(p, RSDP_V1_LEN);
	if (sum != 0) {
		log_message(level,
			    "acpi: RSDP checksum mismatch %s: the first 20 bytes sum to 0x%02x, "
			    "expected 0",
			    where, sum);
		return false;
	}
	return true;
}

/* The ACPI 2.0 part: `avail` readable bytes at p must hold `length` bytes summing to 0. */
static bool rsdp_v2_ok(const uint8_t *p, size_t avail, int level, const char *where,
		       const char *then)
{
	uint32_t length;
	uint8_t sum;

	if (avail < RSDP_V2_LEN) {
		log_message(level,
			    "acpi: RSDP %s: revision %u but only %zu bytes readable, need %d%s",
			    where, p[RSDP_REVISION], avail, RSDP_V2_LEN, then);
		return false;
	}
	length = acpi_get_u32(p + RSDP_LENGTH);
	if (length < RSDP_V2_LEN) {
		log_message(level,
			    "acpi: RSDP %s: length %u is below the %d bytes of revision %u%s",
			    where, length, RSDP_V2_LEN, p[RSDP_REVISION], then);
		return false;
	}
	if (length > avail) {
		log_message(level, "acpi: RSDP %s: length %u but only %zu bytes readable%s", where,
			    length, avail, then);
		return false;
	}
	sum = acpi_checksum(p, length);
	if (sum != 0) {
		log_message(level,
			    "acpi: RSDP extended checksum mismatch %s: %u bytes sum to 0x%02x, "
			    "expected 0%s",
			    where, length, sum, then);
		return false;
	}
	return true;
}

/*
 * Reads and verifies the boot loader's copy (copy != NULL) or the RSDP at
 * phys. A bad signature or ACPI 1.0 checksum makes it unusable. A bad ACPI
 * 2.0 part does too when strict; otherwise it only loses its XSDT address,
 * since the ACPI 1.0 part is still sound.
 */
static int rsdp_read(const struct acpi_mem *mem, const uint8_t *copy, size_t copy_len,
		     uint64_t phys, int level, bool strict, struct rsdp_fields *f)
{
	const uint8_t *p = copy;
	size_t avail = copy_len;
	char where[48];

	if (copy) {
		str_copy(where, "in the boot loader's copy", sizeof(where));
		if (copy_len < RSDP_V1_LEN) {
			log_message(level, "acpi: RSDP %s is %zu bytes, below the %d of an RSDP",
				    where, copy_len, RSDP_V1_LEN);
			return -EINVAL;
		}
	} else {
		format_buf(where, sizeof(where), "at %#llx", (unsigned long long)phys);
		p = acpi_map(mem, phys, RSDP_V1_LEN);
		if (!p) {
			log_message(level, "acpi: RSDP %s is not readable", where);
			return -EINVAL;
		}
		avail = RSDP_V1_LEN;
	}
	if (!rsdp_v1_ok(p, level, where))
		return -EINVAL;

	memset(f, 0, sizeof(*f));
	f->revision = p[RSDP_REVISION];
	acpi_copy_text(f->oem_id, p + RSDP_OEM_ID, 6);
	f->rsdt = acpi_get_u32(p + RSDP_RSDT);
	if (f->revision < 2)
		return 0;

	if (!copy) {
		const uint8_t *v2 = acpi_map(mem, phys, RSDP_V2_LEN);

		if (v2) {
			uint32_t length = acpi_get_u32(v2 + RSDP_LENGTH);
			const uint8_t *full =
			    length > RSDP_V2_LEN ? acpi_map(mem, phys, length) : NULL;

			p = full ? full : v2;
			avail = full ? length : RSDP_V2_LEN;
		}
	}
	if (!rsdp_v2_ok(p, avail, strict ? level : LOG_WARNING, where,
			strict ? "" : "; ignoring its XSDT address")) {
		return strict ? -EINVAL : 0;
	}
	f->xsdt = acpi_get_u64(p + RSDP_XSDT);
	return 0;
}

int acpi_check_rsdp(const struct acpi_mem *mem, uint64_t phys)
{
	struct rsdp_fields f;

	if (!mem || !mem->map)
		return -EINVAL;
	return rsdp_read(mem, NULL, 0, phys, LOG_ERROR, true, &f);
}

int acpi_find_rsdp(const struct acpi_mem *mem, uint64_t start, uint64_t len, uint64_t *found)
{
	uint64_t end = start + len;
	uint64_t addr = (start + 15) & ~(uint64_t)15;
	struct rsdp_fields f;

	if (!mem || !mem->map || !found)
		return -EINVAL;
	if (end < start)
		end = UINT64_MAX;
	if (addr < start)
		return -ENOENT;
	/* The ACPI 1.0 part must lie inside the range; the ACPI 2.0 part may follow it. */
	for (; addr < end && end - addr >= RSDP_V1_LEN; addr += 16) {
		const uint8_t *p = acpi_map(mem, addr, 8);

		if (!p || memcmp(p, "RSD PTR ", 8) != 0)
			continue;
		/* A stale copy with a bad checksum is reported and skipped. */
		if (rsdp_read(mem, NULL, 0, addr, LOG_WARNING, true, &f) == 0) {
			*found = addr;
			return 0;
		}
	}
	pr_debug("acpi: no valid RSDP in [%#llx, %#llx)", (unsigned long long)start,
		 (unsigned long long)end);
	return -ENOENT;
}

/* ---- tables -------------------------------------------------------------- */

/*
 * Maps the table at phys in full and verifies it. `what` names it until its
 * signature is known; `then` tells the consequence. On failure t->header_ok
 * still says whether signature and length could be read.
 */
static bool table_map(const struct acpi_mem *mem, uint64_t phys, const char *expect,
		      const char *what, const char *then, struct acpi_table *t)
{
	const uint8_t *h;
	const uint8_t *data;
	uint8_t sum;

	memset(t, 0, sizeof(*t));
	t->address = phys;
	h = acpi_map(mem, phys, ACPI_HEADER_LEN);
	if (!h) {
		pr_warn("acpi: %s at %#llx: the 36-byte header is not readable%s", what,
			(unsigned long long)phys, then);
		return false;
	}
	acpi_copy_text(t->sig, h, 4);
	t->length = acpi_get_u32(h + HDR_LENGTH);
	t->revision = h[HDR_REVISION];
	t->header_ok = true;
	if (expect && memcmp(h, expect, 4) != 0) {
		pr_warn("acpi: %s at %#llx: signature \"%s\", expected \"%s\"%s", what,
			(unsigned long long)phys, t->sig, expect, then);
		return false;
	}
	if (t->length < ACPI_HEADER_LEN) {
		pr_warn("acpi: %s at %#llx: length %u is below the %d-byte header%s", t->sig,
			(unsigned long long)phys, t->length, ACPI_HEADER_LEN, then);
		return false;
	}
	data = acpi_map(mem, phys, t->length);
	if (!data) {
		pr_warn("acpi: %s at %#llx: length %u runs into unreadable memory%s", t->sig,
			(unsigned long long)phys, t->length, then);
		return false;
	}
	sum = acpi_checksum(data, t->length);
	if (sum != 0) {
		pr_warn("acpi: %s at %#llx: checksum mismatch, %u bytes sum to 0x%02x, expected "
			"0%s",
			t->sig, (unsigned long long)phys, t->length, sum, then);
		return false;
	}
	t->data = data;
	return true;
}

static bool root_map(const struct acpi_mem *mem, uint64_t phys, const char *sig,
		     uint32_t entry_size, const char *then, struct root_table *root)
{
	struct acpi_table t;

	if (!table_map(mem, phys, sig, sig, then, &t))
		return false;
	if ((t.length - ACPI_HEADER_LEN) % entry_size != 0) {
		pr_warn("acpi: %s at %#llx: length %u is not 36 plus a multiple of %u%s", sig,
			(unsigned long long)phys, t.length, entry_size, then);
		return false;
	}
	root->data = t.data;
	root->name = sig;
	root->entry_size = entry_size;
	root->count = (t.length - ACPI_HEADER_LEN) / entry_size;
	return true;
}

/* Prefers the XSDT (64-bit addresses) and falls back to the RSDT. */
static bool root_select(const struct acpi_mem *mem, const struct rsdp_fields *f,
			struct root_table *root)
{
	if (f->xsdt &&
	    root_map(mem, f->xsdt, "XSDT", 8, f->rsdt ? "; falling back to the RSDT" : "", root))
		return true;
	if (f->rsdt && root_map(mem, f->rsdt, "RSDT", 4, "", root))
		return true;
	pr_err("acpi: no usable RSDT or XSDT (RSDP gives RSDT %#x, XSDT %#llx); cannot use the "
	       "ACPI tables",
	       f->rsdt, (unsigned long long)f->xsdt);
	return false;
}

static uint64_t root_entry(const struct root_table *root, uint32_t i)
{
	const uint8_t *p = root->data + ACPI_HEADER_LEN + (size_t)i * root->entry_size;

	return root->entry_size == 8 ? acpi_get_u64(p) : acpi_get_u32(p);
}

static void table_record(struct acpi_info *out, struct parse_state *st, const struct acpi_table *t,
			 bool ok)
{
	struct acpi_table_ref *ref;

	if (out->table_count >= ACPI_MAX_TABLES) {
		if (!st->tables_full_warned)
			pr_warn("acpi: more than %d tables; listing only the first %d (the rest "
				"are still used)",
				ACPI_MAX_TABLES, ACPI_MAX_TABLES);
		st->tables_full_warned = true;
		return;
	}
	ref = &out->tables[out->table_count++];
	memcpy(ref->signature, t->sig, sizeof(ref->signature));
	ref->address = t->address;
	ref->length = t->length;
	ref->revision = t->revision;
	ref->checksum_ok = ok;
}

/* ---- DSDT/SSDT \_S5_ ------------------------------------------------------ */

static void s5_scan(const struct acpi_table *t, struct s5_result *res)
{
	char name[32];
	int ret;

	format_buf(name, sizeof(name), "%s at %#llx", t->sig, (unsigned long long)t->address);
	ret = acpi_aml_find_s5(t->data + ACPI_HEADER_LEN, t->length - ACPI_HEADER_LEN, name,
			       &res->a, &res->b);
	if (ret == 0)
		res->found = true;
	else if (ret == -EINVAL)
		res->malformed = true;
}

static void dsdt_scan(const struct acpi_mem *mem, struct acpi_info *out,
		      const struct s5_result *ssdt)
{
	struct s5_result res = { 0 };
	struct acpi_table t;

	if (out->dsdt_address == 0)
		pr_warn("acpi: FACP has no DSDT address");
	else if (table_map(mem, out->dsdt_address, "DSDT", "DSDT", "; not used", &t))
		s5_scan(&t, &res);
	/* The DSDT's definition wins; an SSDT's is the fallback. */
	if (!res.found && ssdt->found)
		res = *ssdt;
	if (res.found) {
		out->has_s5 = true;
		out->s5_slp_typ_a = res.a;
		out->s5_slp_typ_b = res.b;
	} else if (!res.malformed && !ssdt->malformed) {
		pr_warn("acpi: no \\_S5_ package in the DSDT or SSDTs; ACPI power-off is "
			"unavailable");
	}
}

/* ---- acpi_parse ---------------------------------------------------------- */

static void table_visit(const struct acpi_mem *mem, const struct root_table *root, uint32_t i,
			struct acpi_info *out, struct parse_state *st)
{
	uint64_t phys = root_entry(root, i);
	struct acpi_table t;
	char what[32];
	bool ok;

	if (phys == 0) {
		pr_warn("acpi: %s entry %u is a null address; skipped", root->name, i);
		return;
	}
	format_buf(what, sizeof(what), "%s entry %u", root->name, i);
	ok = table_map(mem, phys, NULL, what, "; not used", &t);
	if (t.header_ok)
		table_record(out, st, &t, ok);
	if (!ok)
		return;
	if (memcmp(t.sig, "APIC", 4) == 0) {
		if (out->has_madt)
			pr_warn("acpi: second APIC at %#llx; using the first one",
				(unsigned long long)phys);
		else
			acpi_madt_parse(out, &t);
	} else if (memcmp(t.sig, "FACP", 4) == 0) {
		if (out->has_fadt)
			pr_warn("acpi: second FACP at %#llx; using the first one",
				(unsigned long long)phys);
		else
			acpi_fadt_parse(out, &t);
	} else if (memcmp(t.sig, "SSDT", 4) == 0 && !st->ssdt_s5.found) {
		s5_scan(&t, &st->ssdt_s5);
	}
}

int acpi_parse(const struct acpi_mem *mem, const void *rsdp_copy, size_t rsdp_len,
	       uint64_t rsdp_phys, struct acpi_info *out)
{
	const uint8_t *copy = rsdp_len ? rsdp_copy : NULL;
	struct parse_state st = { 0 };
	struct rsdp_fields f;
	struct root_table root;
	int ret;

	if (!mem || !mem->map || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ret = rsdp_read(mem, copy, rsdp_len, rsdp_phys, LOG_ERROR, false, &f);
	if (ret)
		return ret;
	out->rsdp_address = copy ? 0 : rsdp_phys;
	out->rsdp_revision = f.revision;
	memcpy(out->oem_id, f.oem_id, sizeof(out->oem_id));
	if (!root_select(mem, &f, &root))
		return -EINVAL;
	out->using_xsdt = root.entry_size == 8;
	pr_info("acpi: RSDP revision %u, OEM \"%s\", %s with %u entries", f.revision, f.oem_id,
		root.name, root.count);

	for (uint32_t i = 0; i < root.count; i++)
		table_visit(mem, &root, i, out, &st);

	if (out->has_madt)
		pr_info("acpi: MADT: %u CPUs, %u IOAPICs, %u interrupt overrides, local APIC at "
			"%#llx",
			out->cpu_count, out->ioapic_count, out->override_count,
			(unsigned long long)out->lapic_address);
	else
		pr_warn("acpi: no MADT; only the boot CPU will be used");
	if (out->has_fadt)
		dsdt_scan(mem, out, &st.ssdt_s5);
	else
		pr_warn("acpi: no FADT; ACPI power-off and reset are unavailable");
	return 0;
}
