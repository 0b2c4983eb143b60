// SPDX-License-Identifier: BSD-3-Clause
/* Opening regions: the spec forms, files, loopback memory, and the layout check. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

uint64_t ivshmem_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

IVSHMEM_EXPORT const char *ivshmem_mapping_name(int mapping)
{
	switch (mapping) {
	case IVSHMEM_MAPPING_SYSFS:
		return "sysfs";
	case IVSHMEM_MAPPING_DRIVER:
		return "driver";
	case IVSHMEM_MAPPING_UIO:
		return "uio";
	case IVSHMEM_MAPPING_FILE:
		return "file";
	case IVSHMEM_MAPPING_LOOPBACK:
		return "loopback";
	case IVSHMEM_MAPPING_SERVER:
		return "server";
	}
	return "unknown";
}

IVSHMEM_EXPORT const char *ivshmem_cache_name(int cache)
{
	switch (cache) {
	case IVSHMEM_CACHE_WRITE_BACK:
		return "write-back";
	case IVSHMEM_CACHE_UNCACHED:
		return "uncached";
	case IVSHMEM_CACHE_WRITE_COMBINING:
		return "write-combining";
	case IVSHMEM_CACHE_WRITE_THROUGH:
		return "write-through";
	}
	return "unknown";
}

IVSHMEM_EXPORT void ivshmem_open_options_init(struct ivshmem_open_options *options)
{
	if (!options)
		return;
	memset(options, 0, sizeof(*options));
	options->struct_size = sizeof(*options);
	options->peer_id = IVSHMEM_PEER_ID_DEFAULT;
	options->peer_timeout_ms = 1000;
	options->heartbeat_period_ms = 100;
}

/* Loopback regions: shared anonymous memory, found by name inside this process (and
 * inherited across fork, which the multi-process tests use). */
struct loopback_entry {
	char name[IVSHMEM_NAME_MAX];
	uint8_t *base;
	uint64_t size;
	unsigned users;
	struct loopback_entry *next;
};
static struct loopback_entry *loopback_list;
static pthread_mutex_t loopback_lock = PTHREAD_MUTEX_INITIALIZER;

static int loopback_open(struct ivshmem_region *region, const char *name,
			 const struct ivshmem_open_options *options)
{
	struct loopback_entry *entry;
	int error = layout_copy_name(name, region->loopback_name, sizeof(region->loopback_name),
				     "loopback name");

	if (error)
		return error;
	pthread_mutex_lock(&loopback_lock);
	for (entry = loopback_list; entry; entry = entry->next)
		if (strcmp(entry->name, region->loopback_name) == 0)
			break;
	if (!entry) {
		if (!(options->flags & IVSHMEM_OPEN_CREATE) || !options->create_size) {
			pthread_mutex_unlock(&loopback_lock);
			return ivshmem_fail(IVSHMEM_ERR_NOT_FOUND,
					    "no loopback region '%s' (open it with "
					    "IVSHMEM_OPEN_CREATE and a size first)",
					    name);
		}
		entry = calloc(1, sizeof(*entry));
		if (entry)
			entry->base = mmap(NULL, options->create_size, PROT_READ | PROT_WRITE,
					   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (!entry || entry->base == MAP_FAILED) {
			free(entry);
			pthread_mutex_unlock(&loopback_lock);
			return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY, "loopback '%s': no memory",
					    name);
		}
		memcpy(entry->name, region->loopback_name, sizeof(entry->name));
		entry->size = options->create_size;
		entry->next = loopback_list;
		loopback_list = entry;
	}
	entry->users++;
	region->base = entry->base;
	region->size = entry->size;
	pthread_mutex_unlock(&loopback_lock);
	region->mapping = IVSHMEM_MAPPING_LOOPBACK;
	region->cache = IVSHMEM_CACHE_WRITE_BACK;
	snprintf(region->address, sizeof(region->address), "loopback:%s", region->loopback_name);
	snprintf(region->device, sizeof(region->device), "anonymous shared memory");
	return 0;
}

static void loopback_close(struct ivshmem_region *region)
{
	struct loopback_entry **link;

	pthread_mutex_lock(&loopback_lock);
	for (link = &loopback_list; *link; link = &(*link)->next) {
		struct loopback_entry *entry = *link;

		if (strcmp(entry->name, region->loopback_name) != 0)
			continue;
		if (--entry->users == 0) {
			*link = entry->next;
			munmap(entry->base, entry->size);
			free(entry);
		}
		break;
	}
	pthread_mutex_unlock(&loopback_lock);
}

/* A plain file (e.g. /dev/shm/NAME): what a Service VM process maps for dm-land. */
int ivshmem_open_file(struct ivshmem_region *region, const char *path,
		      const struct ivshmem_open_options *options);
int ivshmem_open_file(struct ivshmem_region *region, const char *path,
		      const struct ivshmem_open_options *options)
{
	bool create = options->flags & IVSHMEM_OPEN_CREATE;
	struct stat status;
	int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0660);

	if (fd < 0)
		return ivshmem_fail_errno(errno, "cannot open %s read-write", path);
	if (fstat(fd, &status) < 0 || !S_ISREG(status.st_mode)) {
		close(fd);
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "%s is not a regular file", path);
	}
	if (create && options->create_size && (uint64_t)status.st_size != options->create_size) {
		if (status.st_size != 0) {
			close(fd);
			return ivshmem_fail(IVSHMEM_ERR_EXISTS,
					    "%s exists with %lld bytes, not the %llu asked for",
					    path, (long long)status.st_size,
					    (unsigned long long)options->create_size);
		}
		if (ftruncate(fd, (off_t)options->create_size) < 0) {
			int saved = errno;

			close(fd);
			return ivshmem_fail_errno(saved, "cannot size %s", path);
		}
		status.st_size = (off_t)options->create_size;
	}
	if (status.st_size == 0) {
		close(fd);
		return ivshmem_fail(IVSHMEM_ERR_TOO_SMALL, "%s is empty", path);
	}
	region->base =
	    mmap(NULL, (size_t)status.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (region->base == MAP_FAILED) {
		int saved = errno;

		region->base = NULL;
		close(fd);
		return ivshmem_fail_errno(saved, "cannot map %s", path);
	}
	region->size = (uint64_t)status.st_size;
	region->device_fd = fd;
	region->mapping = IVSHMEM_MAPPING_FILE;
	region->cache = IVSHMEM_CACHE_WRITE_BACK; /* page cache: RAM */
	snprintf(region->address, sizeof(region->address), "%s", path);
	snprintf(region->device, sizeof(region->device), "%s", path);
	return 0;
}

static bool looks_like_pci_address(const char *spec)
{
	unsigned domain, bus, slot, function;
	char end;

	return sscanf(spec, "%x:%x:%x.%x%c", &domain, &bus, &slot, &function, &end) == 4 ||
	       sscanf(spec, "%x:%x.%x%c", &bus, &slot, &function, &end) == 3;
}

static int open_mapping(struct ivshmem_region *region, const char *spec,
			const struct ivshmem_open_options *options, int depth)
{
	char path[256];

	if (strncmp(spec, "loopback:", 9) == 0)
		return loopback_open(region, spec + 9, options);
	if (strncmp(spec, "shm:", 4) == 0) {
		char name[IVSHMEM_NAME_MAX * 2];
		int error = layout_copy_name(spec + 4, name, sizeof(name), "shm name");

		if (error)
			return error;
		if (strchr(name, '/'))
			return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
					    "shm name '%s' must not contain '/'", name);
		snprintf(path, sizeof(path), "/dev/shm/%s", name);
		return ivshmem_open_file(region, path, options);
	}
	if (strncmp(spec, "server:", 7) == 0)
		return server_connect(region, spec + 7);
	if (spec[0] == '/')
		return devices_open_path(region, spec, options);
	if (strncmp(spec, "pci:", 4) == 0)
		return devices_open_pci(region, spec + 4, options->flags);
	if (looks_like_pci_address(spec))
		return devices_open_pci(region, spec, options->flags);
	if (depth == 0) {
		char resolved[256];
		int error = devices_find_by_name(spec, resolved, sizeof(resolved));

		if (error)
			return error;
		return open_mapping(region, resolved, options, depth + 1);
	}
	return ivshmem_fail(IVSHMEM_ERR_NOT_FOUND, "cannot resolve '%s'", spec);
}

/* The name a fresh layout gets when the caller gave none: the file or device name. */
static void default_layout_name(const struct ivshmem_region *region, char *name, size_t size)
{
	const char *slash = strrchr(region->address, '/');
	const char *colon = strrchr(region->address, ':');
	const char *start = slash ? slash + 1 : colon ? colon + 1 : region->address;
	size_t out = 0;

	for (; *start && out + 1 < size; start++)
		name[out++] = (*start >= 'a' && *start <= 'z') ||
				      (*start >= 'A' && *start <= 'Z') ||
				      (*start >= '0' && *start <= '9')
				  ? *start
				  : '_';
	name[out] = '\0';
	if (out == 0)
		snprintf(name, size, "region");
}

static int attach_layout(struct ivshmem_region *region, const struct ivshmem_open_options *options)
{
	int error = layout_validate(region->base, region->size, region->address);
	bool in_progress = error == IVSHMEM_ERR_NOT_INITIALISED &&
			   __atomic_load_n(&((struct layout_header *)region->base)->ready,
					   __ATOMIC_ACQUIRE) == LAYOUT_INITIALISING;

	if (error == IVSHMEM_ERR_NOT_INITIALISED &&
	    ((options->flags & IVSHMEM_OPEN_INIT) || in_progress)) {
		char name[IVSHMEM_NAME_MAX];

		if (options->init_name)
			snprintf(name, sizeof(name), "%s", options->init_name);
		else
			default_layout_name(region, name, sizeof(name));
		/* Without INIT, only wait for the peer that is laying it out. */
		error = layout_initialise_once(region->base, region->size,
					       options->flags & IVSHMEM_OPEN_INIT ? name : NULL,
					       region->address, options->peer_timeout_ms);
		if (!error)
			error = layout_validate(region->base, region->size, region->address);
	}
	if (error) {
		if (options->flags & IVSHMEM_OPEN_RAW)
			return 0;
		return error;
	}
	region->header = (struct layout_header *)region->base;
	return 0;
}

IVSHMEM_EXPORT int ivshmem_open(const char *spec, const struct ivshmem_open_options *options_in,
				struct ivshmem_region **region_out)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;
	int error;

	if (!spec || !region_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "open: null spec or output");
	*region_out = NULL;
	ivshmem_open_options_init(&options);
	if (options_in) {
		if (options_in->struct_size < offsetof(struct ivshmem_open_options, init_name) ||
		    options_in->struct_size > sizeof(options))
			return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
					    "open: options struct_size %u unknown",
					    options_in->struct_size);
		memcpy(&options, options_in, options_in->struct_size);
		if (!options.peer_timeout_ms)
			options.peer_timeout_ms = 1000;
		if (!options.heartbeat_period_ms)
			options.heartbeat_period_ms = 100;
	}
	if (options.peer_id < IVSHMEM_PEER_ID_DEFAULT || options.peer_id >= IVSHMEM_MAX_PEERS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "open: peer id %d not in [0, %d)",
				    options.peer_id, IVSHMEM_MAX_PEERS);
	region = calloc(1, sizeof(*region));
	if (!region)
		return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY, "open: no memory");
	region->device_fd = -1;
	region->server_socket = -1;
	region->peer_id = -1;
	region->peer_timeout_ms = options.peer_timeout_ms;
	region->heartbeat_period_ms = options.heartbeat_period_ms;
	pthread_mutex_init(&region->server_lock, NULL);
	for (int v = 0; v < IVSHMEM_MAX_VECTORS; v++)
		region->vector_fds[v] = -1;
	for (int p = 0; p < IVSHMEM_MAX_PEERS; p++)
		for (int v = 0; v < IVSHMEM_MAX_VECTORS; v++)
			region->peer_vector_fds[p][v] = -1;
	error = open_mapping(region, spec, &options, 0);
	if (!error)
		error = attach_layout(region, &options);
	if (!error && region->header && !(options.flags & IVSHMEM_OPEN_NO_JOIN))
		error =
		    peers_join(region, options.peer_id >= 0 ? options.peer_id : region->peer_id);
	if (!error && region->joined && (options.flags & IVSHMEM_OPEN_HEARTBEAT))
		error = peers_start_heartbeat_thread(region);
	if (error) {
		ivshmem_close(region);
		return error;
	}
	if (!region->joined && options.peer_id >= 0)
		region->peer_id = options.peer_id;
	ivshmem_clear_error();
	*region_out = region;
	return 0;
}

IVSHMEM_EXPORT void ivshmem_close(struct ivshmem_region *region)
{
	if (!region)
		return;
	peers_stop_heartbeat_thread(region);
	if (region->joined)
		peers_leave(region);
	notify_close(region);
	server_disconnect(region);
	if (region->mapping == IVSHMEM_MAPPING_LOOPBACK)
		loopback_close(region);
	else if (region->base)
		munmap(region->base, region->size);
	devices_close(region);
	if (region->device_fd >= 0)
		close(region->device_fd);
	pthread_mutex_destroy(&region->server_lock);
	free(region);
}

IVSHMEM_EXPORT int ivshmem_region_get_info(struct ivshmem_region *region,
					   struct ivshmem_region_info *info)
{
	struct ivshmem_region_info out;

	if (!region || !info || info->struct_size < offsetof(struct ivshmem_region_info, name))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "region_get_info: null argument or struct_size unset");
	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	/* Joined: our slot; otherwise what the device or server says we are (or -1). */
	out.peer_id = region->peer_id;
	if (region->header) {
		memcpy(out.name, region->header->name, sizeof(out.name));
		out.name[sizeof(out.name) - 1] = '\0';
		out.layout_version = IVSHMEM_LAYOUT_VERSION;
		out.initialised = 1;
		out.creation_epoch = load_relaxed_u64(&region->header->creation_epoch);
	}
	snprintf(out.address, sizeof(out.address), "%s", region->address);
	snprintf(out.device, sizeof(out.device), "%s", region->device);
	out.size = region->size;
	out.vectors = region->vectors;
	out.mapping = region->mapping;
	out.subsystem_id = region->subsystem_id;
	out.cache = (int16_t)region->cache;
	out.cache_source = (int16_t)region->cache_source;
	memcpy(info, &out, info->struct_size < sizeof(out) ? info->struct_size : sizeof(out));
	return 0;
}

IVSHMEM_EXPORT void *ivshmem_region_memory(struct ivshmem_region *region, uint64_t *size_out)
{
	if (!region)
		return NULL;
	if (size_out)
		*size_out = region->size;
	return region->base;
}

IVSHMEM_EXPORT int ivshmem_region_init_layout(struct ivshmem_region *region, const char *name,
					      int force)
{
	int error;

	if (!region)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "init_layout: null region");
	error = layout_validate(region->base, region->size, region->address);
	if (error == 0 && !force)
		return ivshmem_fail(
		    IVSHMEM_ERR_EXISTS,
		    "%s already has a layout (name '%.31s'); use force to replace it",
		    region->address, ((struct layout_header *)region->base)->name);
	if (error == IVSHMEM_ERR_TOO_SMALL)
		return error;
	if (region->joined)
		peers_leave(region);
	error = layout_write(region->base, region->size, name);
	if (error)
		return error;
	region->header = (struct layout_header *)region->base;
	ivshmem_clear_error();
	return 0;
}
