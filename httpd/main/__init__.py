"""The command line (server/main.c): flags, -k control, -l -L -M -S -V and the dumps."""
