"""Evidence bundles (design §9): transcript (cli.log, cli.sh), summary.json, SHA256SUMS, and the
secret masking every artefact under dist/ goes through."""
