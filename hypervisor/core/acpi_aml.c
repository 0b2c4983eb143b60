/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Finds the \_S5_ (soft-off) sleep type values in AML without an AML
 * interpreter. Firmware declares them as a static
 * Name (_S5, Package () { SLP_TYPa, SLP_TYPb, ... }), so a byte pattern
 * search plus a bounds-checked decode of that one package is enough to power
 * the machine off. The AML is untrusted: every byte read is checked against
 * both the table end and the package end.
 */
#include "core/acpi_internal.h"

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define AML_ZERO_OP	 0x00
#define AML_ONE_OP	 0x01
#define AML_NAME_OP	 0x08
#define AML_BYTE_PREFIX	 0x0A
#define AML_WORD_PREFIX	 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_PACKAGE_OP	 0x12
#define AML_ROOT_CHAR	 0x5C
#define AML_ONES_OP	 0xFF

/* SLP_TYPx is a 3-bit field of PM1x_CNT: larger values cannot be written. */
#define SLP_TYP_MAX 7

/* The outcome of decoding one package element. */
enum aml_elem {
	AML_ELEM_INTEGER,   /* *value set */
	AML_ELEM_OTHER,	    /* not an integer constant: decoding stops */
	AML_ELEM_TRUNCATED, /* the element's bytes run past the package */
};

/*
 * Decodes the PkgLength at aml[pos] (pos < end). The lead byte's bits 7-6
 * count the bytes that follow; with none, bits 5-0 are the length, otherwise
 * bits 3-0 are its low nibble and each following byte adds 8 more bits.
 * Returns 0 and the total length (which includes the PkgLength bytes).
 */
static int aml_pkg_length(const uint8_t *aml, size_t end, size_t pos, const char *table,
			  uint32_t *pkg_len, size_t *nbytes)
{
	uint8_t lead = aml[pos];
	size_t follow = lead >> 6;
	uint32_t value;

	if (follow == 0) {
		*pkg_len = lead & 0x3F;
		*nbytes = 1;
		return 0;
	}
	if (end - pos - 1 < follow) {
		pr_warn("acpi: %s: \\_S5_ PkgLength at AML offset %zu needs %zu more byte(s), "
			"only %zu left",
			table, pos, follow, end - pos - 1);
		return -EINVAL;
	}
	/* Bits 5-4 are reserved when bytes follow; set ones mean this is not a PkgLength. */
	if (lead & 0x30) {
		pr_warn("acpi: %s: \\_S5_ PkgLength lead byte 0x%02x at AML offset %zu has "
			"reserved bits 5-4 set",
			table, lead, pos);
		return -EINVAL;
	}
	value = lead & 0x0F;
	for (size_t i = 0; i < follow; i++)
		value |= (uint32_t)aml[pos + 1 + i] << (4 + 8 * i);
	*pkg_len = value;
	*nbytes = 1 + follow;
	return 0;
}

/* Decodes the element at aml[*pos] (*pos < end) and advances *pos past it. */
static enum aml_elem aml_integer(const uint8_t *aml, size_t end, size_t *pos, uint64_t *value)
{
	size_t p = *pos;
	size_t size;

	switch (aml[p]) {
	case AML_ZERO_OP:
		*value = 0;
		*pos = p + 1;
		return AML_ELEM_INTEGER;
	case AML_ONE_OP:
		*value = 1;
		*pos = p + 1;
		return AML_ELEM_INTEGER;
	case AML_ONES_OP:
		*value = UINT32_MAX;
		*pos = p + 1;
		return AML_ELEM_INTEGER;
	case AML_BYTE_PREFIX:
		size = 1;
		break;
	case AML_WORD_PREFIX:
		size = 2;
		break;
	case AML_DWORD_PREFIX:
		size = 4;
		break;
	default:
		return AML_ELEM_OTHER;
	}
	if (end - p - 1 < size)
		return AML_ELEM_TRUNCATED;
	*value = 0;
	for (size_t i = 0; i < size; i++)
		*value |= (uint64_t)aml[p + 1 + i] << (8 * i);
	*pos = p + 1 + size;
	return AML_ELEM_INTEGER;
}

/* Decodes the package whose PkgLength starts at aml[pos]; warns once when malformed. */
static int s5_decode(const uint8_t *aml, size_t len, size_t pos, const char *table,
		     uint8_t *slp_typ_a, uint8_t *slp_typ_b)
{
	uint32_t pkg_len;
	size_t nbytes, end, p;
	uint8_t count;
	uint64_t a, b;
	enum aml_elem kind;

	if (pos >= len) {
		pr_warn(
		    "acpi: %s: \\_S5_ package at AML offset %zu is cut off before its PkgLength",
		    table, pos);
		return -EINVAL;
	}
	if (aml_pkg_length(aml, len, pos, table, &pkg_len, &nbytes))
		return -EINVAL;
	if (pkg_len > len - pos) {
		pr_warn("acpi: %s: \\_S5_ PkgLength %u at AML offset %zu runs past the table end "
			"(%zu bytes left)",
			table, pkg_len, pos, len - pos);
		return -EINVAL;
	}
	end = pos + pkg_len;
	p = pos + nbytes;
	if (p >= end) {
		pr_warn("acpi: %s: \\_S5_ PkgLength %u at AML offset %zu leaves no room for "
			"NumElements",
			table, pkg_len, pos);
		return -EINVAL;
	}
	count = aml[p++];
	if (count == 0) {
		pr_warn("acpi: %s: \\_S5_ package at AML offset %zu has NumElements 0", table, pos);
		return -EINVAL;
	}
	kind = p < end ? aml_integer(aml, end, &p, &a) : AML_ELEM_TRUNCATED;
	if (kind != AML_ELEM_INTEGER) {
		pr_warn("acpi: %s: \\_S5_ package at AML offset %zu: SLP_TYPa %s", table, pos,
			kind == AML_ELEM_OTHER ? "is not an integer constant"
					       : "runs past the package end");
		return -EINVAL;
	}
	/* A missing or non-constant second element means both registers take SLP_TYPa. */
	b = a;
	if (count >= 2) {
		kind = p < end ? aml_integer(aml, end, &p, &b) : AML_ELEM_TRUNCATED;
		if (kind == AML_ELEM_TRUNCATED) {
			pr_warn("acpi: %s: \\_S5_ package at AML offset %zu: SLP_TYPb runs past "
				"the package end",
				table, pos);
			return -EINVAL;
		}
		if (kind == AML_ELEM_OTHER)
			b = a;
	}
	if (a > SLP_TYP_MAX || b > SLP_TYP_MAX) {
		pr_warn("acpi: %s: \\_S5_ package at AML offset %zu: SLP_TYP 0x%llx/0x%llx does "
			"not fit the 3-bit SLP_TYP field",
			table, pos, (unsigned long long)a, (unsigned long long)b);
		return -EINVAL;
	}
	*slp_typ_a = (uint8_t)a;
	*slp_typ_b = (uint8_t)b;
	return 0;
}

/*
 * Returns 0 when a well-formed package was found, -EINVAL when only malformed
 * ones were (already reported), -ENOENT when there is none.
 */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, const char *table, uint8_t *slp_typ_a,
		     uint8_t *slp_typ_b)
{
	int ret = -ENOENT;

	for (size_t i = 0; i < len; i++) {
		size_t p = i + 1;

		if (aml[i] != AML_NAME_OP)
			continue;
		if (p < len && aml[p] == AML_ROOT_CHAR)
			p++;
		if (len - p < 4 || memcmp(aml + p, "_S5_", 4) != 0)
			continue;
		p += 4;
		if (p >= len) {
			pr_warn("acpi: %s: \\_S5_ at AML offset %zu is cut off by the table end",
				table, i);
			ret = -EINVAL;
			break;
		}
		/* Anything but a package (e.g. the bytes are data) is not the object we want. */
		if (aml[p] != AML_PACKAGE_OP)
			continue;
		if (s5_decode(aml, len, p + 1, table, slp_typ_a, slp_typ_b) == 0)
			return 0;
		/* Keep looking: the match may have been data, another one may be the real object.
		 */
		ret = -EINVAL;
	}
	return ret;
}
