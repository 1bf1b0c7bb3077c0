"""What every MPM shares (server/listen.c, mpm_common.c, mpm_unix.c, scoreboard.c and the
skeleton of each MPM's server_main_loop): listeners, the parent's main loop, children,
the pipe of death, the MPM descriptor and directive helpers, the scoreboard, -X, and
(threaded/) the parent and child of the threaded MPMs.  The MPMs themselves (mpms/)
are their tables, clamps and policy over these; nothing here imports them."""
