"""A page load as the browser does it, for the benchmarks: the page's layout from Dash's pages callback, then every
server callback the layout's initial values fire (a level at a time, as the renderer does), each a POST to
`/_dash-update-component`.

Generic over the app's pages (`dash.page_registry` order, `/_dash-dependencies`): a page added later is timed with
its own callbacks, no benchmark change needed. Works over Flask's test client (in-process timings) or HTTP
(`requests.Session`, the load test). Clientside callbacks, callbacks a click triggers (`prevent_initial_call`) and
pattern-matching ids are left out: they are not part of loading a page.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

ENDPOINT = "/_dash-update-component"
PAGES_OUTPUT = "_pages_content"
MAX_LEVELS = 4
BROWSER_VALUES = {("theme-toggle", "computedColorScheme"): "light"}  # set by the browser, not in the layout

Post = Callable[[str, dict[str, Any]], Any]  # (path, JSON body) -> decoded JSON answer (raises on HTTP errors)


@dataclass(frozen=True)
class Callback:
    output: str
    outputs: list[dict[str, str]]
    multi: bool
    inputs: list[tuple[str, str]]
    states: list[tuple[str, str]]

    @classmethod
    def parse(cls, spec: dict[str, Any]) -> Callback:
        output = spec["output"]
        multi = output.startswith("..")
        parts = output.strip(".").split("...") if multi else [output]
        outputs = [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in parts]
        return cls(output, outputs, multi, [(i["id"], i["property"]) for i in spec["inputs"]],
                   [(s["id"], s["property"]) for s in spec["state"]])

    def body(self, props: dict[tuple[str, str], Any], changed: list[tuple[str, str]]) -> dict[str, Any]:
        def values(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
            return [{"id": i, "property": p, "value": props.get((i, p))} for i, p in pairs]

        return {"output": self.output, "outputs": self.outputs if self.multi else self.outputs[0],
                "inputs": values(self.inputs), "changedPropIds": [f"{i}.{p}" for i, p in changed],
                "state": values(self.states)}


def _components(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component (a dict with `type` and `props`) in a layout tree."""
    if isinstance(tree, list):
        for item in tree:
            yield from _components(item)
    elif isinstance(tree, dict):
        if "props" in tree and "type" in tree:
            yield tree
            yield from _components(tree["props"])
        else:
            for value in tree.values():
                yield from _components(value)


def _props(tree: Any) -> dict[tuple[str, str], Any]:
    found = {}
    for component in _components(tree):
        identifier = component["props"].get("id")
        if isinstance(identifier, str):
            found |= {(identifier, name): value for name, value in component["props"].items()}
            found[(identifier, "__present__")] = True
    return found


@dataclass
class PageLoad:
    """What one page load took: seconds per callback (the layout first), and the answers' sizes."""

    path: str
    seconds: list[tuple[str, float]] = field(default_factory=list)
    answer_bytes: int = 0

    @property
    def total(self) -> float:
        return sum(seconds for _, seconds in self.seconds)


class DashPages:
    """The app's pages and callbacks, from `/_dash-layout` and `/_dash-dependencies` (fetched once)."""

    def __init__(self, get: Callable[[str], Any], post: Post) -> None:
        self._post = post
        specs = get("/_dash-dependencies")
        self.callbacks = [Callback.parse(spec) for spec in specs
                          if not spec.get("clientside_function") and "{" not in spec["output"]]
        self._initial = {spec["output"] for spec in specs if not spec.get("prevent_initial_call")}
        self._shell = {**_props(get("/_dash-layout")), **{key: value for key, value in BROWSER_VALUES.items()}}
        (self._pages,) = [cb for cb in self.callbacks if cb.output.startswith(f"..{PAGES_OUTPUT}.")]

    def load(self, path: str, search: str = "") -> PageLoad:
        """Load `path?search` as a browser does; raises when an answer is an error."""
        load = PageLoad(path)
        props = dict(self._shell) | {("_pages_location", "pathname"): path, ("_pages_location", "search"): search}
        answer = self._timed(load, "layout", self._pages, props, [("_pages_location", "pathname")])
        props |= _props(answer)
        present = {identifier for identifier, prop in props if prop == "__present__"} | {
            identifier for identifier, _ in BROWSER_VALUES}
        changed = set(props)
        fired: set[str] = set()
        for _ in range(MAX_LEVELS):
            level = [cb for cb in self.callbacks if cb.output in self._initial and cb.output not in fired
                     and cb is not self._pages and all(i in present for i, _ in cb.inputs + cb.states)
                     and any(pair in changed for pair in cb.inputs)]
            if not level:
                break
            changed = set()
            for callback in level:
                fired.add(callback.output)
                answer = self._timed(load, callback.output, callback, props, callback.inputs)
                for identifier, values in (answer or {}).items():
                    for prop, value in values.items():
                        props[(identifier, prop)] = value
                        changed.add((identifier, prop))
                        present |= {identifier} | {i for (i, p) in _props(value) if p == "__present__"}
                        props |= _props(value)
        return load

    def _timed(self, load: PageLoad, name: str, callback: Callback, props: dict[tuple[str, str], Any],
               changed: list[tuple[str, str]]) -> Any:
        started = time.perf_counter()
        answer = self._post(ENDPOINT, callback.body(props, changed))
        load.seconds.append((name, time.perf_counter() - started))
        load.answer_bytes += len(str(answer))
        return (answer or {}).get("response", {})
