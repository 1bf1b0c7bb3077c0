"""The one copy of each Apache utility routine (server/util*.c) this server needs."""
