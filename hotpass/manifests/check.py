"""Checks that need the real objects: the flow imports and is a Prefect flow, the parameters fit
its signature, and the schedule is one Prefect accepts."""

from __future__ import annotations

import functools
import importlib
import inspect
from datetime import timedelta
from typing import Any

from hotpass.manifests.load import RawManifest
from hotpass.manifests.problems import Problem, field_name
from hotpass.manifests.spec import DEFAULT_INTERVAL_ANCHOR


def flow_problems(manifest: RawManifest) -> list[Problem]:
    """Import the manifest's flow and check its parameters against the flow's signature."""
    try:
        flow = import_flow(manifest.data["flow"])
    except FlowImportError as exc:
        return [Problem(manifest.locate(("flow",)), "flow", str(exc))]
    return _parameter_problems(manifest, flow)


class FlowImportError(Exception):
    pass


def import_flow(target: str) -> Any:
    """`module:function` → the Prefect Flow object, or FlowImportError saying why not."""
    from prefect import Flow

    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure is the manifest author's to see
        raise FlowImportError(f"'{target}' does not import ({type(exc).__name__}: {exc}) "
                              "(expected an importable module:function)") from exc
    flow = getattr(module, attribute, None)
    if flow is None:
        raise FlowImportError(f"module '{module_name}' has no attribute '{attribute}'")
    if not isinstance(flow, Flow):
        raise FlowImportError(f"'{target}' is not a Prefect flow (expected a function "
                              "decorated with @flow)")
    return flow


def _parameter_problems(manifest: RawManifest, flow: Any) -> list[Problem]:
    parameters: dict[str, Any] = manifest.data.get("parameters") or {}
    signature = inspect.signature(flow.fn)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    known = [n for n, p in signature.parameters.items()
             if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    problems = [
        Problem(manifest.locate(("parameters", name)), field_name(("parameters", name)),
                f"the flow does not accept this parameter (expected one of: {', '.join(known)})")
        for name in parameters if name not in known and not accepts_any
    ]
    problems += [
        Problem(manifest.locate(("parameters",)), field_name(("parameters", name)),
                "required by the flow but not given (expected a value in parameters)")
        for name, p in signature.parameters.items()
        if p.default is p.empty and name not in parameters
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return problems + _type_problems(manifest, flow, {k: v for k, v in parameters.items()
                                                      if k in known})


def _type_problems(manifest: RawManifest, flow: Any, values: dict[str, Any]) -> list[Problem]:
    from jsonschema import Draft202012Validator

    schema = flow.parameters.model_dump(mode="json")
    schema.pop("required", None)
    problems = []
    for error in Draft202012Validator(schema).iter_errors(values):
        path = ("parameters", *error.absolute_path)
        problems.append(Problem(manifest.locate(path), field_name(path),
                                f"{error.message} (expected the type the flow declares)"))
    return problems


def schedule_problems(manifest: RawManifest) -> list[Problem]:
    """Build the schedule with Prefect's own models: what they reject, Prefect would reject."""
    schedule = manifest.data.get("schedule")
    if not isinstance(schedule, dict):
        return []
    try:
        build_prefect_schedule(schedule)
    except Exception as exc:  # pydantic ValidationError / ValueError carry the reason
        reason = _first_line(exc)
        return [Problem(manifest.locate(("schedule", "value")), "schedule.value",
                        f"invalid {schedule.get('kind')} schedule: {reason}")]
    return []


def cache_timezone_list() -> None:
    """Prefect checks every schedule's timezone against `zoneinfo.available_timezones()`, which
    walks the whole tz database on each call (10-30 ms, three times per manifest per deploy: a
    third of an unchanged 50-manifest deploy). The list cannot change within a process."""
    from prefect._internal.schemas import validators

    listing = getattr(validators, "get_timezones", None)
    if listing is not None and not hasattr(listing, "cache_info"):
        setattr(validators, "get_timezones", functools.cache(listing))  # noqa: B010


def build_prefect_schedule(schedule: dict[str, Any]) -> Any:
    """A manifest `schedule` mapping → a Prefect Cron/Interval/RRule schedule object."""
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule

    cache_timezone_list()

    kind, value, timezone = schedule["kind"], schedule["value"], schedule.get("timezone")
    if kind == "cron":
        return CronSchedule(cron=str(value), timezone=timezone)
    if kind == "interval":
        return IntervalSchedule(interval=timedelta(seconds=float(value)),
                                anchor_date=schedule.get("anchor_date", DEFAULT_INTERVAL_ANCHOR),
                                timezone=timezone or "UTC")
    return RRuleSchedule(rrule=str(value), timezone=timezone)


def _first_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        details = errors()
        if details:
            return str(details[0].get("msg", exc))
    return str(exc).splitlines()[0]
