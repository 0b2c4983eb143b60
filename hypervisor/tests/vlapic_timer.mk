test_vlapic_timer_SRCS := vdev/vlapic.c vdev/vlapic_route.c tests/log_capture.c lib/string.c lib/format.c
