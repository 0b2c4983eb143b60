test_bzimage_SRCS := boot/bzimage.c core/e820.c boot/multiboot2.c tests/log_capture.c lib/string.c lib/format.c
