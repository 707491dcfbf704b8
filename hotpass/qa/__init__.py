"""Quality checks (`hotpass qa`): manifests, profiles, data, archives → a JSON report and a static
HTML data-docs page."""
