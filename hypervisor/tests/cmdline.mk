test_cmdline_SRCS := core/cmdline.c tests/log_capture.c lib/string.c lib/format.c
