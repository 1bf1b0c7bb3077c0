"""What every MPM shares (server/listen.c, mpm_common.c, mpm_unix.c, scoreboard.c):
listeners, children, the pipe of death, the MPM descriptor and the scoreboard."""
