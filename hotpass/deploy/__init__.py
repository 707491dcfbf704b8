"""Turn DeploymentSpecs into Prefect deployments: build, export, plan, apply, prune."""
