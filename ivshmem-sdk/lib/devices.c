// SPDX-License-Identifier: BSD-3-Clause
/*
 * PCI ivshmem devices: found in sysfs, mapped through whatever the device is bound to
 * (the SDK driver, UIO, or nothing: sysfs resource2), and listed with /dev/shm regions.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "../kmod/ivshmem_sdk_uapi.h"
#include "acrn/ivshmem.h"

#define SYSFS_PCI	"/sys/bus/pci/devices"
#define REGISTERS_BYTES 4096u

int ivshmem_open_file(struct ivshmem_region *region, const char *path,
		      const struct ivshmem_open_options *options);

static unsigned long read_sysfs_number(const char *directory, const char *file)
{
	char path[PATH_MAX], text[64] = "";
	FILE *stream;

	snprintf(path, sizeof(path), "%s/%s", directory, file);
	stream = fopen(path, "r");
	if (!stream)
		return ULONG_MAX;
	if (!fgets(text, sizeof(text), stream))
		text[0] = '\0';
	fclose(stream);
	return text[0] ? strtoul(text, NULL, 0) : ULONG_MAX;
}

static bool is_ivshmem(const char *directory)
{
	return read_sysfs_number(directory, "vendor") == ACRN_IVSHMEM_VENDOR_ID &&
	       read_sysfs_number(directory, "device") == ACRN_IVSHMEM_DEVICE_ID;
}

/* "00:04.0" or "0000:00:04.0" to the canonical sysfs name. */
static int canonical_bdf(const char *bdf, char *out, size_t size)
{
	unsigned domain = 0, bus, slot, function;
	char end;

	if (sscanf(bdf, "%x:%x:%x.%x%c", &domain, &bus, &slot, &function, &end) != 4 &&
	    (domain = 0, sscanf(bdf, "%x:%x.%x%c", &bus, &slot, &function, &end) != 3))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "'%s' is not a PCI address", bdf);
	if (domain > 0xffff || bus > 0xff || slot > 0x1f || function > 7)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "'%s' is out of range", bdf);
	snprintf(out, size, "%04x:%02x:%02x.%x", domain, bus, slot, function);
	return 0;
}

static void driver_name(const char *directory, char *name, size_t size)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t length;

	snprintf(link, sizeof(link), "%s/driver", directory);
	length = readlink(link, target, sizeof(target) - 1);
	name[0] = '\0';
	if (length <= 0)
		return;
	target[length] = '\0';
	snprintf(name, size, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
}

/* The first entry of directory/sub whose name starts with prefix. */
static bool child_named(const char *directory, const char *sub, const char *prefix, char *out,
			size_t size)
{
	char path[PATH_MAX];
	struct dirent *entry;
	DIR *dir;
	bool found = false;

	snprintf(path, sizeof(path), "%s/%s", directory, sub);
	dir = opendir(path);
	if (!dir)
		return false;
	while ((entry = readdir(dir))) {
		if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(out, size, "%s", entry->d_name);
			found = true;
			break;
		}
	}
	closedir(dir);
	return found;
}

/* The kernel's own record of BAR2's page attribute, when it is readable (root, debugfs):
 * the path's nominal type can be overridden by PAT (a conflicting earlier mapping of the
 * same range wins), so the record is the truth when we can see it. */
static void cache_from_pat(struct ivshmem_region *region, const char *directory)
{
	static const struct {
		const char *name;
		int cache;
	} types[] = { { "write-back", IVSHMEM_CACHE_WRITE_BACK },
		      { "uncached-minus", IVSHMEM_CACHE_UNCACHED },
		      { "uncached", IVSHMEM_CACHE_UNCACHED },
		      { "write-combining", IVSHMEM_CACHE_WRITE_COMBINING },
		      { "write-through", IVSHMEM_CACHE_WRITE_THROUGH } };
	unsigned long long bar_start = 0, bar_end = 0, start, end;
	char path[PATH_MAX], line[256], type[32];
	FILE *stream;

	snprintf(path, sizeof(path), "%s/resource", directory);
	stream = fopen(path, "r");
	/* One line per BAR: "start end flags"; BAR2 is the third. */
	for (int bar = 0; stream && bar <= ACRN_IVSHMEM_MEMORY_BAR; bar++)
		if (!fgets(line, sizeof(line), stream) ||
		    sscanf(line, "%llx %llx", &bar_start, &bar_end) != 2)
			bar_start = 0;
	if (stream)
		fclose(stream);
	if (!bar_start)
		return;
	stream = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	while (stream && fgets(line, sizeof(line), stream)) {
		/* "PAT: [mem 0x...-0x...] write-back"; end is exclusive. */
		if (sscanf(line, "PAT: [mem %llx-%llx] %31s", &start, &end, type) != 3 ||
		    bar_start < start || bar_start >= end)
			continue;
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			if (strcmp(type, types[i].name) == 0) {
				region->cache = types[i].cache;
				region->cache_source = IVSHMEM_CACHE_FROM_PAT;
				break;
			}
		}
		break;
	}
	if (stream)
		fclose(stream);
}

static int open_driver_node(struct ivshmem_region *region, const char *node, uint32_t flags)
{
	struct ivshmem_sdk_info info = { .struct_size = sizeof(info) };
	void *registers;

	region->device_fd = open(node, O_RDWR | O_CLOEXEC);
	if (region->device_fd < 0)
		return ivshmem_fail_errno(errno, "cannot open %s (is the user in group ivshmem?)",
					  node);
	if (ioctl(region->device_fd, IVSHMEM_SDK_GET_INFO, &info) < 0)
		return ivshmem_fail_errno(errno, "%s does not answer the ivshmem_sdk ioctl", node);
	if (!info.memory_bytes)
		return ivshmem_fail(IVSHMEM_ERR_TOO_SMALL, "%s has no shared memory", node);
	region->base =
	    mmap(NULL, info.memory_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, region->device_fd, 0);
	if (region->base == MAP_FAILED) {
		region->base = NULL;
		return ivshmem_fail_errno(errno, "cannot map BAR2 through %s", node);
	}
	region->size = info.memory_bytes;
	registers = mmap(NULL, REGISTERS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
			 region->device_fd, (off_t)IVSHMEM_SDK_MMAP_REGISTERS);
	if (registers != MAP_FAILED)
		region->registers = registers;
	region->mapping = IVSHMEM_MAPPING_DRIVER;
	region->cache = IVSHMEM_CACHE_WRITE_BACK; /* the driver asks for it (see kmod) */
	region->peer_id = (int32_t)info.iv_position;
	region->subsystem_id = info.subsystem_id;
	region->vectors = info.vectors < IVSHMEM_MAX_VECTORS ? info.vectors : IVSHMEM_MAX_VECTORS;
	info.pci_address[sizeof(info.pci_address) - 1] = '\0';
	snprintf(region->address, sizeof(region->address), "%s", info.pci_address);
	snprintf(region->device, sizeof(region->device), "%s", node);
	{
		char directory[PATH_MAX];

		snprintf(directory, sizeof(directory), SYSFS_PCI "/%s", region->address);
		cache_from_pat(region, directory);
	}
	/* Only a handle that joins takes the doorbells: an observer (list, info) must not
	 * take them away from the process that waits on them. */
	for (uint32_t v = 0; v < region->vectors && !(flags & IVSHMEM_OPEN_NO_JOIN); v++) {
		struct ivshmem_sdk_eventfd binding = { .vector = v };

		region->vector_fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		binding.fd = region->vector_fds[v];
		if (binding.fd < 0 ||
		    ioctl(region->device_fd, IVSHMEM_SDK_SET_EVENTFD, &binding) < 0)
			return ivshmem_fail_errno(errno, "cannot bind vector %u of %s", v, node);
	}
	return 0;
}

/* BAR2 through sysfs (no driver, or uio_pci_generic which maps nothing itself). */
static int open_sysfs(struct ivshmem_region *region, const char *directory, const char *bdf,
		      int mapping, const char *node)
{
	char path[PATH_MAX];
	struct stat status;
	int registers_fd;

	snprintf(path, sizeof(path), "%s/enable", directory);
	{
		int enable = open(path, O_WRONLY | O_CLOEXEC);

		/* Memory decoding must be on for the mapping to reach the device. */
		if (enable >= 0) {
			if (write(enable, "1", 1) < 0) {
				/* already enabled or not ours to enable: the map decides */
			}
			close(enable);
		}
	}
	snprintf(path, sizeof(path), "%s/resource2", directory);
	region->device_fd = open(path, O_RDWR | O_CLOEXEC);
	if (region->device_fd < 0)
		return ivshmem_fail_errno(errno,
					  "cannot open %s (needs root, or bind the "
					  "ivshmem_sdk driver)",
					  path);
	if (fstat(region->device_fd, &status) < 0 || status.st_size <= 0)
		return ivshmem_fail(IVSHMEM_ERR_TOO_SMALL, "%s has no size", path);
	region->base = mmap(NULL, (size_t)status.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    region->device_fd, 0);
	if (region->base == MAP_FAILED) {
		region->base = NULL;
		return ivshmem_fail_errno(errno, "cannot map %s", path);
	}
	region->size = (uint64_t)status.st_size;
	snprintf(path, sizeof(path), "%s/resource0", directory);
	registers_fd = open(path, O_RDWR | O_CLOEXEC);
	if (registers_fd >= 0) {
		void *registers = mmap(NULL, REGISTERS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
				       registers_fd, 0);

		close(registers_fd);
		if (registers != MAP_FAILED) {
			region->registers = registers;
			region->peer_id =
			    (int32_t)region->registers[ACRN_IVSHMEM_REG_IV_POSITION / 4];
		}
	}
	region->mapping = mapping;
	/* Linux maps sysfs resourceN with the device page attribute, uncached on x86 (UC-);
	 * resourceN_wc would be write-combining, whose weakly ordered stores the rings'
	 * publication order does not allow. Only the SDK's driver gives write-back. */
	region->cache = IVSHMEM_CACHE_UNCACHED;
	cache_from_pat(region, directory);
	region->subsystem_id = (uint32_t)read_sysfs_number(directory, "subsystem_device");
	snprintf(region->address, sizeof(region->address), "%s", bdf);
	snprintf(region->device, sizeof(region->device), "%s", node);
	return 0;
}

int devices_open_pci(struct ivshmem_region *region, const char *bdf_in, uint32_t flags)
{
	char bdf[32], directory[PATH_MAX], driver[64], child[64], node[PATH_MAX];
	int error = canonical_bdf(bdf_in, bdf, sizeof(bdf));

	(void)flags;
	if (error)
		return error;
	snprintf(directory, sizeof(directory), SYSFS_PCI "/%s", bdf);
	if (access(directory, F_OK) != 0)
		return ivshmem_fail(IVSHMEM_ERR_NOT_FOUND, "no PCI device %s", bdf);
	if (!is_ivshmem(directory))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "PCI device %s is not ivshmem (vendor:device %04lx:%04lx)", bdf,
				    read_sysfs_number(directory, "vendor"),
				    read_sysfs_number(directory, "device"));
	driver_name(directory, driver, sizeof(driver));
	if (strcmp(driver, "ivshmem_sdk") == 0 &&
	    child_named(directory, IVSHMEM_SDK_CLASS, "ivshmem", child, sizeof(child))) {
		snprintf(node, sizeof(node), "/dev/%s", child);
		return open_driver_node(region, node, flags);
	}
	if (strcmp(driver, "uio_pci_generic") == 0 &&
	    child_named(directory, "uio", "uio", child, sizeof(child))) {
		snprintf(node, sizeof(node), "/dev/%s", child);
		return open_sysfs(region, directory, bdf, IVSHMEM_MAPPING_UIO, node);
	}
	snprintf(node, sizeof(node), "%s/resource2", directory);
	return open_sysfs(region, directory, bdf, IVSHMEM_MAPPING_SYSFS, node);
}

int devices_open_path(struct ivshmem_region *region, const char *path,
		      const struct ivshmem_open_options *options)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t length;

	if (strncmp(path, "/dev/ivshmem", 12) == 0)
		return open_driver_node(region, path, options->flags);
	if (strncmp(path, "/dev/uio", 8) == 0 ||
	    (strncmp(path, "/sys/", 5) == 0 && strstr(path, "/resource2"))) {
		/* Resolve to the PCI function behind the node. */
		if (strncmp(path, "/dev/uio", 8) == 0)
			snprintf(link, sizeof(link), "/sys/class/uio/%s/device", path + 5);
		else
			snprintf(link, sizeof(link), "%.*s",
				 (int)(strstr(path, "/resource2") - path), path);
		length = readlink(link, target, sizeof(target) - 1);
		if (length > 0) {
			target[length] = '\0';
			return devices_open_pci(
			    region, strrchr(target, '/') ? strrchr(target, '/') + 1 : target,
			    options->flags);
		}
		return devices_open_pci(region, strrchr(link, '/') + 1, options->flags);
	}
	return ivshmem_open_file(region, path, options);
}

void devices_close(struct ivshmem_region *region)
{
	if (region->registers)
		munmap((void *)region->registers, REGISTERS_BYTES);
	region->registers = NULL;
}

static void list_add(struct ivshmem_region_info *infos, size_t capacity, int count,
		     const char *spec, const char *address, uint64_t size, int mapping)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;
	struct ivshmem_region_info *info;

	if ((size_t)count >= capacity)
		return;
	info = &infos[count];
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_RAW | IVSHMEM_OPEN_NO_JOIN;
	if (ivshmem_open(spec, &options, &region) == 0) {
		info->struct_size = sizeof(*info);
		ivshmem_region_get_info(region, info);
		ivshmem_close(region);
		return;
	}
	/* Not openable by this user: still list what sysfs tells. */
	memset(info, 0, sizeof(*info));
	info->struct_size = sizeof(*info);
	info->peer_id = -1;
	info->size = size;
	info->mapping = mapping;
	info->cache = IVSHMEM_CACHE_UNCACHED; /* both fallbacks are sysfs/UIO or a file */
	if (mapping == IVSHMEM_MAPPING_FILE)
		info->cache = IVSHMEM_CACHE_WRITE_BACK;
	snprintf(info->address, sizeof(info->address), "%s", address);
	snprintf(info->device, sizeof(info->device), "%s (%s)", spec, ivshmem_last_error_message());
}

IVSHMEM_EXPORT int ivshmem_list(struct ivshmem_region_info *infos, size_t capacity)
{
	struct dirent *entry;
	DIR *dir;
	int count = 0;

	if (capacity && !infos)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "list: null array");
	dir = opendir(SYSFS_PCI);
	while (dir && (entry = readdir(dir))) {
		char directory[PATH_MAX], resource[PATH_MAX];
		struct stat status;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(directory, sizeof(directory), SYSFS_PCI "/%s", entry->d_name);
		if (!is_ivshmem(directory))
			continue;
		snprintf(resource, sizeof(resource), "%s/resource2", directory);
		list_add(infos, capacity, count, entry->d_name, entry->d_name,
			 stat(resource, &status) == 0 ? (uint64_t)status.st_size : 0,
			 IVSHMEM_MAPPING_SYSFS);
		count++;
	}
	if (dir)
		closedir(dir);
	dir = opendir("/dev/shm");
	while (dir && (entry = readdir(dir))) {
		char path[PATH_MAX];
		struct stat status;
		uint64_t magic = 0;
		int fd;

		snprintf(path, sizeof(path), "/dev/shm/%s", entry->d_name);
		if (stat(path, &status) != 0 || !S_ISREG(status.st_mode) ||
		    status.st_size < IVSHMEM_MIN_REGION_SIZE)
			continue;
		/* Only files that carry the SDK's header are regions. */
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read(fd, &magic, sizeof(magic)) != sizeof(magic))
			magic = 0;
		close(fd);
		if (magic != LAYOUT_MAGIC)
			continue;
		list_add(infos, capacity, count, path, path, (uint64_t)status.st_size,
			 IVSHMEM_MAPPING_FILE);
		count++;
	}
	if (dir)
		closedir(dir);
	ivshmem_clear_error();
	return count;
}

int devices_find_by_name(const char *name, char *spec_out, size_t spec_size)
{
	struct ivshmem_region_info infos[64];
	int count = ivshmem_list(infos, 64);

	for (int i = 0; i < count && i < 64; i++) {
		if (infos[i].initialised && strncmp(infos[i].name, name, IVSHMEM_NAME_MAX) == 0) {
			snprintf(spec_out, spec_size, "%s",
				 infos[i].mapping == IVSHMEM_MAPPING_FILE ? infos[i].device
									  : infos[i].address);
			return 0;
		}
	}
	return ivshmem_fail(IVSHMEM_ERR_NOT_FOUND,
			    "no region named '%s' among %d ivshmem devices and /dev/shm regions",
			    name, count);
}
