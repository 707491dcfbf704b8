"""Live Prefect: a local server and process workers in the background, the API client, flow-run
triggering and waiting, log export, and the technical acceptance check."""
