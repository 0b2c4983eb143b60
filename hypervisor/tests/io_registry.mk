test_io_registry_SRCS := core/io_registry.c tests/log_capture.c lib/string.c lib/format.c
