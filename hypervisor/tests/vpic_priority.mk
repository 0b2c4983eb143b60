test_vpic_priority_SRCS := vdev/vpic.c tests/log_capture.c
