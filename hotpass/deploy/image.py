"""`--build-image/--push-image`: build (and push) each manifest's `image` through Prefect's
DockerImage before anything is applied. Needs a reachable Docker engine; without one the deploy
stops with exit 2 before any server write."""

from __future__ import annotations

from hotpass.errors import UsageError
from hotpass.manifests.spec import DeploymentSpec

NO_ENGINE_HINT = ("start a Docker engine (or point DOCKER_HOST at one), or deploy without "
                  "--build-image/--push-image: process workers run the installed package and "
                  "need no image")


def images_to_build(specs: list[DeploymentSpec]) -> list[str]:
    """The distinct images of the selected manifests; each must name one."""
    missing = [s.id for s in specs if not s.image]
    if missing:
        raise UsageError(f"--build-image/--push-image need an `image` in every selected "
                         f"manifest; missing in: {', '.join(missing)}",
                         hint="add `image: registry/name:tag` to those manifests or select "
                              "others with --flow")
    return sorted({str(s.image) for s in specs})


def require_docker_engine() -> None:
    """Raise UsageError (exit 2) unless a Docker engine answers a ping."""
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - docker raises many kinds for "no engine"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise UsageError(f"no Docker engine is available to build or push images ({reason})",
                         hint=NO_ENGINE_HINT) from exc


def build_images(images: list[str], *, push: bool) -> None:
    """Build each image (from `images_to_build`) from the current directory, pushing when
    asked; `require_docker_engine` has been checked before anything was applied."""
    from prefect.docker import DockerImage

    for name in images:
        image = DockerImage(name=name)
        image.build()
        if push:
            image.push()
