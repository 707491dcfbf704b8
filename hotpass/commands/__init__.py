"""CLI adapters: each module registers one `hotpass <command>`, parses its flags, calls one
library function and renders the result. Imports of Prefect and heavy libraries stay inside the
`run` functions so that `hotpass --help` stays fast."""
