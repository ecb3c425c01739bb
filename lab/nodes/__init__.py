"""Programs that run inside emulated nodes: the bulk BGP speaker, ExaBGP's feed and the route
collector's recorder.  Standard library only: containers bind this package read-only."""
