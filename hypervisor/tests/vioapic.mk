test_vioapic_SRCS := vdev/vioapic.c tests/log_capture.c lib/string.c lib/format.c
