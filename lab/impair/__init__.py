"""Link impairments (loss, delay, jitter, duplication): what they are (spec), the user-space delay
line the SecY runs where the kernel has no netem (line), and where each is applied (ports)."""
