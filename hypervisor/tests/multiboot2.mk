test_multiboot2_SRCS := boot/multiboot2.c tests/log_capture.c lib/string.c lib/format.c
