// SPDX-License-Identifier: GPL-2.0
/*
 * Loads a kernel module exactly once with finit_module(2) and prints the errno. Busybox
 * insmod retries with init_module(2) after a failure, which would run the module's init
 * twice and blur what one load attempt logs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;
	long ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE.ko\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	ret = syscall(SYS_finit_module, fd, "", 0);
	if (ret == 0) {
		printf("load_once: loaded\n");
		return 0;
	}
	printf("load_once: errno=%d (%s)\n", errno, strerror(errno));
	return 1;
}
