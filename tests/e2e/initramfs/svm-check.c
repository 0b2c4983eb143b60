/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checks run inside the Service VM by the test initramfs (built static).
 *   svm-check cpuid   the hypervisor leaves: "ACRNACRNACRN", privileged-VM bit
 *   svm-check hvmem   the hypervisor's memory (the reserved hole in the e820
 *                     the hypervisor gave us) reads as all ones through
 *                     /dev/mem and ignores writes
 *   svm-check tsc     the TSC now (under Bochs: emulated time since reset)
 * Each prints one "svm-check: ..." line and exits 0 on success, 1 on failure.
 */
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024ull * 1024)

static int check_cpuid(void)
{
	unsigned int eax, ebx, ecx, edx;
	char sig[13];

	__cpuid(0x40000000, eax, ebx, ecx, edx);
	memcpy(sig, &ebx, 4);
	memcpy(sig + 4, &ecx, 4);
	memcpy(sig + 8, &edx, 4);
	sig[12] = '\0';
	if (strcmp(sig, "ACRNACRNACRN") != 0) {
		printf("svm-check: FAIL cpuid 0x40000000 signature '%s'\n", sig);
		return 1;
	}
	unsigned int max_leaf = eax;

	__cpuid(0x40000001, eax, ebx, ecx, edx);
	printf("svm-check: cpuid 0x40000000 signature %s, max leaf 0x%x, privileged VM %s\n", sig,
	       max_leaf, (eax & 1) ? "yes" : "no");
	return (eax & 1) ? 0 : 1;
}

struct map_entry {
	uint64_t start, end; /* end inclusive, as sysfs says */
	char type[32];
};

static int read_sysfs(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, (int)size, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int load_map(struct map_entry *map, int max)
{
	DIR *d = opendir("/sys/firmware/memmap");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		char buf[64];

		if (e->d_name[0] == '.')
			continue;
		if (read_sysfs(e->d_name, "start", buf, sizeof(buf)))
			continue;
		map[n].start = strtoull(buf, NULL, 0);
		if (read_sysfs(e->d_name, "end", buf, sizeof(buf)))
			continue;
		map[n].end = strtoull(buf, NULL, 0);
		if (read_sysfs(e->d_name, "type", map[n].type, sizeof(map[n].type)))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

/* The hypervisor's hole: a reserved range above 1 MiB that directly follows RAM. */
static int find_hv_range(uint64_t *start, uint64_t *end)
{
	struct map_entry map[128];
	int n = load_map(map, 128);

	for (int i = 0; i < n; i++) {
		if (strcmp(map[i].type, "Reserved") != 0 || map[i].start < MIB)
			continue;
		for (int j = 0; j < n; j++) {
			if (strcmp(map[j].type, "System RAM") == 0 &&
			    map[j].end + 1 == map[i].start) {
				*start = map[i].start;
				*end = map[i].end + 1;
				return 0;
			}
		}
	}
	return -1;
}

static int check_hvmem(void)
{
	uint64_t start, end, probes[3];
	volatile uint64_t *p;
	long page = sysconf(_SC_PAGESIZE);
	int fd, bad = 0;

	if (find_hv_range(&start, &end)) {
		printf("svm-check: FAIL no reserved range after RAM in /sys/firmware/memmap\n");
		return 1;
	}
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		printf("svm-check: FAIL open /dev/mem: %s\n", strerror(errno));
		return 1;
	}
	probes[0] = start;
	probes[1] = (start + (end - start) / 2) & ~(uint64_t)(page - 1);
	probes[2] = end - (uint64_t)page;
	for (int i = 0; i < 3; i++) {
		p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 (off_t)probes[i]);
		if (p == MAP_FAILED) {
			printf("svm-check: FAIL mmap /dev/mem at 0x%" PRIx64 ": %s\n", probes[i],
			       strerror(errno));
			close(fd);
			return 1;
		}
		uint64_t before = p[0], after;

		p[0] = 0x5a5a5a5a5a5a5a5aull; /* must be dropped */
		after = p[0];
		if (before != ~0ull || after != ~0ull || p[page / 16] != ~0ull) {
			printf("svm-check: at 0x%" PRIx64 " read 0x%" PRIx64 " then 0x%" PRIx64
			       " after a write\n",
			       probes[i], before, after);
			bad = 1;
		}
		munmap((void *)p, (size_t)page);
	}
	close(fd);
	printf("svm-check: %s hypervisor range 0x%" PRIx64 "-0x%" PRIx64
	       ": reads all ones, writes dropped\n",
	       bad ? "FAIL" : "ok", start, end);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "cpuid") == 0)
		return check_cpuid();
	if (argc == 2 && strcmp(argv[1], "hvmem") == 0)
		return check_hvmem();
	if (argc == 2 && strcmp(argv[1], "tsc") == 0) {
		printf("%llu\n", (unsigned long long)__builtin_ia32_rdtsc());
		return 0;
	}
	fprintf(stderr, "usage: svm-check cpuid|hvmem|tsc\n");
	return 2;
}
