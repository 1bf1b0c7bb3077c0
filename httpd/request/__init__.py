"""The request core (server/request.c, vhost.c): the request record, the per-directory
walks, subrequests, virtual hosts."""
