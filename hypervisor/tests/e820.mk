test_e820_SRCS := core/e820.c boot/multiboot2.c tests/log_capture.c lib/string.c lib/format.c
