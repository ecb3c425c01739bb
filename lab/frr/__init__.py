"""FRR on a lab's routers: the one package that runs FRR's shell or knows FRR's files.

router.Router is the door for a running router (show, configure, reload, stop, start);
show (vty socket, else the shell), configure, reload (frr-reload.py) and check (the dry-run
parse of a config text) are its parts; vtysh builds every shell argv and environment; files
knows the paths, daemons and files FRR reads; root runs another version's FRR from its root."""
