"""The build: which results are stale, running experiments, and rendering what pages embed.

`Book` ties the stages together for one results folder and one profile. It imports
TensorFlow only when an experiment actually has to run, and it caches rendered outputs
by the code that made them and the result they show, so a warm build renders nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import inspect
import os
import re
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from . import interrupt, machine, refs, registry, render
from .cache import DamagedEntry, RenderCache, Result, ResultStore, library_versions, result_key
from .fingerprint import fingerprint, package_stamp


ENV_RESULTS, ENV_PROFILE = "NNBOOK_RESULTS", "NNBOOK_PROFILE"  # read by the MkDocs plugin
CLAIMS_PROFILE = "full"  # the profile whose results claims must hold for


@contextlib.contextmanager
def environment(values: dict[str, str | None]) -> Iterator[None]:
    """Set (or, for `None`, unset) environment variables for this process and what it starts, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def results_for_mkdocs(results: Path, profile: str) -> contextlib.AbstractContextManager[None]:
    """Point MkDocs builds in this process at a results folder and profile, then restore."""
    return environment({ENV_RESULTS: str(results), ENV_PROFILE: profile})


def setting(name: str) -> str | None:
    """An environment setting, `None` when unset. An empty one is an error: an empty results
    folder would silently mean the project folder itself."""
    value = os.environ.get(name)
    if value is not None and not value.strip():
        raise ValueError(f"{name} is set but empty; unset it or give it a value")
    return value


def obstacle(path: Path) -> Path | None:
    """The file, if any, that stands where `path` or one of its parent folders must be a folder."""
    for folder in (path, *path.parents):
        if folder.exists():
            return None if folder.is_dir() else folder
    return None


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal colours, as Keras prints in some messages


class BuildError(Exception):
    """An experiment or an output failed: `what` is one line naming it and the exception,
    `detail` the traceback."""

    def __init__(self, what: str, detail: str):
        what = " ".join(ANSI.sub("", what).split())
        detail = ANSI.sub("", detail)
        super().__init__(f"{what}\n{detail}")
        self.what = what
        self.detail = detail

    def __reduce__(self):  # sent back from worker processes whole
        return type(self), (self.what, self.detail)


def _check_results(values: Any, experiment_id: str) -> dict[str, Any]:
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise TypeError(f"experiment {experiment_id} must return a dict with str keys, got {type(values).__name__}")
    return values


def _read_catalogue(value: Any) -> tuple[dict[str, str], tuple[dict[str, registry.Listed], dict[str, registry.Listed]]] | None:
    """The keys and the listed experiments and outputs of a stored catalogue; `None` when it is not
    of the shape `Book._catalogue` writes."""
    try:
        keys = value["keys"]
        experiments, outputs = ({e["id"]: registry.Listed(**e) for e in value[part]} for part in ("experiments", "outputs"))
    except (TypeError, KeyError):
        return None
    if not (isinstance(keys, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in keys.items())
            and all(e.kind == "experiment" and e.id in keys for e in experiments.values())
            and all(o.kind in ("figure", "table", "values", "model") and o.uses in experiments
                    and f"output:{o.id}" in keys for o in outputs.values())):
        return None
    return keys, (experiments, outputs)


PLACEHOLDERS = ("–",)  # what a values function shows for a statistic of an empty group


def claim_problem(value: Any) -> str:
    """Why a stored claim fails the build ('' when it does not): false, or an audit it fails."""
    if render.is_false_claim(value):
        return "does not hold for these results"
    if render.is_claim(value) and "evidence" not in value:
        return ("is untested: a bare condition; state it with a test of nnbook.evidence (paired, equivalent, "
                "trend), or as a fact if the code guarantees it")
    failed = render.failed_audits(value)
    return f"fails the audit{'s' * (len(failed) > 1)} {'; '.join(failed)}" if failed else ""


def _result_problem(page: str, ref: refs.Ref, value: Any) -> str:
    """What a value reference says wrongly of these results ('' when nothing): an empty statistic, or a
    claim that fails."""
    if value in PLACEHOLDERS:
        return (f"{page}:{ref.line}: value '{ref}' is empty for these results (the group of runs or pixels it "
                "describes has no member): reword the sentence or guard it")
    if problem := claim_problem(value):
        return f"{page}:{ref.line}: claim '{ref}' {problem}: {value['claim']}"
    return ""


class Book:
    """The experiments and outputs of the book, against one results folder and one profile."""

    def __init__(self, results: Path | str, profile: str = "full", log: Callable[[str], None] = print,
                 read_only: bool = False):
        """`read_only`: write nothing under `results` (for commands that only look)."""
        if profile not in registry.PROFILES:
            raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(registry.PROFILES)}")
        self.results = Path(results).absolute()  # an experiment that changes folder cannot move it
        for folder in (self.results / profile, self.results / ".rendered" / profile):
            if (blocked := obstacle(folder)) is not None:
                what = "is a file" if blocked == self.results else f"cannot hold folders: {blocked} is a file"
                raise ValueError(f"results folder {self.results} {what}")
        self.profile = profile
        self.log = log
        self.read_only = read_only
        self.store = ResultStore(self.results, profile)
        self.rendered = RenderCache(self.results, profile)
        self.failures: dict[str, BuildError] = {}
        self.source_url = ""  # where the package's source is browsable (repo_url/blob/main/); set by the plugin
        self._made: dict[str, Any] = {}
        self._listed: tuple[dict[str, registry.Listed], dict[str, registry.Listed]] | None = None
        self._keys = self._catalogue()

    # -- experiments -------------------------------------------------------------------

    @property
    def experiments(self) -> Mapping[str, registry.Experiment | registry.Listed]:
        """Every experiment by id: as declared once this process imported the topic modules, else as
        the catalogue lists them (see `_catalogue`)."""
        return self._listed[0] if self._listed and not registry.loaded() else self._declared()[0]

    @property
    def outputs(self) -> Mapping[str, registry.Output | registry.Listed]:
        return self._listed[1] if self._listed and not registry.loaded() else self._declared()[1]

    @staticmethod
    def _declared() -> tuple[dict[str, registry.Experiment], dict[str, registry.Output]]:
        registry.load()
        return registry.EXPERIMENTS, registry.OUTPUTS

    def reload(self) -> None:
        """Re-read experiment and figure modules from disk (for `mkdocs serve`)."""
        registry.load(reload=True)
        self._made.clear()
        self.failures.clear()
        self._keys = self._catalogue()

    def _catalogue(self) -> dict[str, str]:
        """The keys of every experiment and output of the package, and what a build needs to know of
        each (`registry.Listed`), made once per version of its code and libraries: a build with
        nothing stale reads them from one small file, and neither parses a source nor imports a
        topic module (nor, through them, NumPy or Plotly)."""
        stamp = hashlib.sha256((package_stamp(__package__) + str(library_versions())).encode()).hexdigest()[:24]
        found = self.rendered.get(f"catalogue-{stamp}", valid=lambda value: _read_catalogue(value) is not None)
        if found is not None:
            keys, self._listed = _read_catalogue(found)
            return keys
        self._keys, ours = {}, f"{__package__}."
        experiments, outputs = self._declared()
        listed = {"experiments": [registry.listed(e) for e in experiments.values() if e.func.__module__.startswith(ours)],
                  "outputs": [registry.listed(o) for o in outputs.values() if o.func.__module__.startswith(ours)]}
        for entry in listed["experiments"]:
            self.key(entry["id"])
        for entry in listed["outputs"]:
            self._output_key(outputs[entry["id"]])
        if not self.read_only and self.results.is_dir():  # never creates the results folder (nor fails on it)
            self.rendered.put(f"catalogue-{stamp}", listed | {"keys": self._keys}, replace="catalogue-*")
        return self._keys

    def key(self, experiment_id: str) -> str:
        if experiment_id not in self._keys:
            self._keys[experiment_id] = result_key(self._declared()[0][experiment_id], self.profile)
        return self._keys[experiment_id]

    def stale(self, ids: Iterable[str] | None = None) -> list[str]:
        """Experiments (all, or those in `ids`) with no stored result for their current key.

        A result that was superseded by other code and is current again is restored, not rerun."""
        return [i for i in sorted(self.experiments if ids is None else ids) if not self.store.has(i, self.key(i))
                and (self.read_only or not self.store.restore(i, self.key(i)))]

    def damaged(self, ids: Iterable[str] | None = None) -> list[str]:
        """Experiments (all, or those in `ids`) whose stored current result fails to load whole."""
        found = []
        for i in sorted(self.experiments if ids is None else ids):
            try:
                self.store.load(i, self.key(i))
            except DamagedEntry:
                found.append(i)
            except FileNotFoundError:
                pass
        return found

    def compute(self, experiment_id: str) -> Result:
        """Run one experiment now and return its result, storing nothing; the working folder is
        restored afterwards, whatever the experiment did with it."""
        from .backend import THREADS, seed_everything

        experiment = self._declared()[0][experiment_id]
        params = experiment.params(self.profile)
        cwd = os.getcwd()
        try:
            try:
                seed_everything(experiment.seed)
            except ModuleNotFoundError as e:
                raise BuildError(f"experiment {experiment_id} must run, and running experiments needs TensorFlow: "
                                 "run `make figures` or `pip install -e '.[experiments]'`", f"{e}") from e
            start = time.perf_counter()
            values = _check_results(experiment.func(seed=experiment.seed, **params), experiment_id)
            seconds = time.perf_counter() - start
            interrupt.check()  # a Ctrl-C that TensorFlow swallowed still stops the run here
            provenance = {
                "experiment": experiment_id,
                "seed": experiment.seed,
                "profile": self.profile,
                "params": params,
                "seconds": round(seconds, 2),
                "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
                "versions": library_versions(),
                "machine": machine.description(THREADS),
                "key": self.key(experiment_id),
            }
            return Result(values, provenance)
        except BuildError:
            raise
        except Exception as e:
            raise BuildError(f"experiment {experiment_id} ({self.profile}) raised {type(e).__name__}: {e}",
                             traceback.format_exc()) from e
        finally:
            os.chdir(cwd)

    def save(self, experiment_id: str, result: Result) -> None:
        """Store a computed result in place of the entries it supersedes."""
        try:
            self.store.save(experiment_id, self.key(experiment_id), result)  # refuses what it cannot store
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise BuildError(f"experiment {experiment_id} ({self.profile}): its result cannot be stored: "
                             f"{where}{e.strerror or e}", "") from e
        except Exception as e:
            raise BuildError(f"experiment {experiment_id} ({self.profile}): its result cannot be stored: "
                             f"{type(e).__name__}: {e}", traceback.format_exc()) from e

    def run(self, experiment_id: str) -> Result:
        """Run one experiment now and store its result (the stored one stays until it is replaced)."""
        interrupt.check()
        result = self.compute(experiment_id)
        self.save(experiment_id, result)
        return result

    def todo(self, ids: Iterable[str] | None = None, force: bool = False) -> list[str]:
        """What a refresh of `ids` runs: the stale and damaged ones (with `force`, all of them).
        Temporary files left by killed runs are removed on the way."""
        for leftover in self.store.leftovers():
            self.log(f"nnbook: removing {leftover}, left by an interrupted run")
            leftover.unlink(missing_ok=True)
        if force:
            return sorted(self.experiments if ids is None else ids)
        return sorted(set(self.stale(ids)) | set(self.damaged(ids)))

    def refresh(self, ids: Iterable[str] | None = None, keep_going: bool = False, force: bool = False,
                jobs: int | None = None, scheduler: str | None = None) -> list[str]:
        """Run the stale experiments among `ids` (all by default; with `force`, all of `ids`),
        one progress line each.

        Without `keep_going` the first failure raises `BuildError`; with it, failures are
        kept in `self.failures` and the others still run. Returns the ids that ran.
        With `jobs` > 1 (default: `NNBOOK_JOBS`, else 1) they run in that many worker processes,
        with a `scheduler` (default: `NNBOOK_SCHEDULER`) on a Dask cluster (see `parallel`).
        """
        from . import parallel

        todo = self.todo(ids, force) if force else self.stale(ids)
        jobs = parallel.jobs_from_env() if jobs is None else jobs
        scheduler = parallel.scheduler_from_env() if scheduler is None else scheduler
        if todo and (scheduler or (jobs > 1 and len(todo) > 1)):
            return parallel.run(self, todo, jobs, scheduler, keep_going, parallel.Logged(self))
        for n, experiment_id in enumerate(todo, start=1):
            self.log(f"nnbook: running {experiment_id} ({self.profile}) [{n}/{len(todo)}]")
            try:
                result = self.run(experiment_id)
            except BuildError as e:
                if not keep_going:
                    raise
                self.failures[experiment_id] = e  # the caller reports it (the plugin, as an error)
                continue
            self.log(f"nnbook: {experiment_id} done in {result.provenance['seconds']:.1f} s")
        return todo

    def last_seconds(self, experiment_id: str) -> float | None:
        """How long the experiment's stored result (current or superseded by its code) took."""
        for path in sorted(self.store.folder(experiment_id).glob("*.npz")):
            try:
                return float(self.store.provenance(experiment_id, path.stem)["seconds"])
            except (DamagedEntry, KeyError, ValueError):
                continue
        return None

    def result(self, experiment_id: str) -> Result:
        """The stored result, running the experiment if it is missing or damaged."""
        if experiment_id in self.failures:
            raise self.failures[experiment_id]
        key = self.key(experiment_id)
        try:
            return self.store.load(experiment_id, key)
        except FileNotFoundError:
            pass
        except DamagedEntry as e:
            self.log(f"nnbook: damaged result, recomputing: {e}")  # replaced only once the rerun succeeds
        self.refresh([experiment_id], force=True)
        return self.store.load(experiment_id, key)

    # -- outputs -----------------------------------------------------------------------

    def _output_key(self, output: registry.Output) -> str:
        name = f"output:{output.id}"
        if name not in self._keys:
            render_code = "".join(fingerprint(f) for f in (render.figure_html, render.table_markdown,
                                                             render.fill_caption,
                                                             render.model_asset, render.model_html,
                                                             render.trainer_asset, render.trainer_html,
                                                             render.stored_value))
            recipe = "\n".join([output.kind, output.caption, fingerprint(output.func), render_code,
                                self.key(output.uses)])
            self._keys[name] = hashlib.sha256(recipe.encode()).hexdigest()[:24]
        return self._keys[name]

    def sources(self, output: registry.Output) -> list[tuple[str, str]]:
        """Links to the code behind an output: its experiment and its own function."""
        if not self.source_url:
            return []
        links = []
        for label, func in (("experiment", self.experiments[output.uses].func), (output.kind, output.func)):
            path = Path(inspect.getsourcefile(func)).resolve()
            root = Path(__file__).resolve().parent.parent
            if path.is_relative_to(root):
                line = inspect.getsourcelines(func)[1]
                where = path.relative_to(root).as_posix()
                # the link names the file on main: one the last commit lacks is not there before it is merged
                shown = f"uncommitted {label}" if where in self._uncommitted_sources() else label
                links.append((shown, f"{self.source_url}{where}#L{line}"))
        return links

    def _uncommitted_sources(self) -> frozenset[str]:
        """The package's files that the last commit does not hold as they are (see `sources`)."""
        if "uncommitted" not in self._made:
            from .gitstate import uncommitted_sources

            package = Path(__file__).resolve().parent
            self._made["uncommitted"] = uncommitted_sources(package) if self.source_url else frozenset()
        return self._made["uncommitted"]

    def _make(self, output: registry.Output) -> Any:
        result = self.result(output.uses)
        try:
            made = output.func(result.values)
            caption = render.fill_caption(output.caption, result.values)
            provenance = result.provenance | {"sources": self.sources(output)}
            if output.kind == "figure":
                fig, data = registry.split_figure(made)
                return render.figure_html(output.id, fig, caption, provenance, data)
            if output.kind == "table":
                header, rows = made
                return render.table_markdown(output.id, header, rows, caption, provenance)
            if output.kind == "model" and isinstance(made, registry.LiveTrainer):
                name, blob, _ = render.trainer_asset(output.id, made)
                page = render.trainer_html(output.id, name, len(blob), caption, provenance)
                return render.with_asset(page, name, blob)
            if output.kind == "model":
                name, blob, header = render.model_asset(output.id, made)
                page = render.model_html(output.id, name, len(blob), header, caption, provenance)
                return render.with_asset(page, name, blob)
            return {str(k): render.stored_value(v) for k, v in dict(made).items()}
        except Exception as e:
            raise BuildError(f"{output.kind} {output.id} raised {type(e).__name__}: {e}", traceback.format_exc()) from e

    def _stored_digest(self, experiment_id: str) -> str:
        """A hash of the stored result's bytes (a damaged file hashes differently and is rerun)."""
        name = f"stored:{experiment_id}"
        if name not in self._made:
            path = self.store.path(experiment_id, self.key(experiment_id))
            if not path.is_file():
                self.result(experiment_id)
            self._made[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        return self._made[name]

    def output(self, output_id: str) -> Any:
        """A table's Markdown, a values group's mapping, or a figure's or model's HTML with the file it
        loads (`{"html", "asset": name, "bytes": base64}`, see `render.with_asset`); cached by the code
        that makes it and the bytes of the stored result it shows."""
        if output_id not in self._made:
            output = self.outputs[output_id]
            recipe = self._output_key(output) + self._stored_digest(output.uses) + self.source_url \
                + "\n".join(sorted(self._uncommitted_sources()))
            key = hashlib.sha256(recipe.encode()).hexdigest()[:24]
            made = self.rendered.get(key, valid=lambda value: render.is_rendered(output.kind, value))
            if made is None:
                made = self._make(output)
                self.rendered.put(key, made)
            self._made[output_id] = made
        return self._made[output_id]

    # -- checks ------------------------------------------------------------------------

    def target(self, ref: refs.Ref) -> registry.Output | None:
        """The output a reference names, if there is one of the kind it asks for."""
        output = self.outputs.get(ref.id)
        return output if output and not ref.bad and (output.kind == "values") == ref.inline else None

    def experiments_used(self, pages: dict[str, list[refs.Ref]]) -> set[str]:
        """The experiments behind the outputs that `pages` (name → references) embed."""
        return {output.uses for found in pages.values() for ref in found if (output := self.target(ref))}

    def unknown_references(self, pages: dict[str, list[refs.Ref]], values: bool = False) -> list[str]:
        """References in `pages` to outputs that do not exist, as `page:line: ... Did you mean ...`.

        With `values`, instead, value names that their group does not produce, claims that the
        results make false and claims that fail an audit of `nnbook.evidence`: this needs the
        group's results, so it runs after `refresh`; groups whose experiment or code failed are
        left to the page's error box.
        """
        problems = []
        for page, found in pages.items():
            for ref in found:
                output = self.target(ref)
                if not values and ref.bad:
                    problems.append(ref.problem(page))
                elif not values and output is None:
                    what = "values group" if ref.inline else "figure or table"
                    known = [o.id for o in self.outputs.values() if (o.kind == "values") == ref.inline]
                    problems.append(str(refs.unknown(page, ref, what, known, target=ref.id)))
                elif values and ref.inline and output and output.uses not in self.failures:
                    try:
                        names = self.output(ref.id)
                    except BuildError:
                        continue
                    if ref.name not in names:
                        known = [f"{ref.id}.{name}" for name in names]
                        problems.append(str(refs.unknown(page, ref, "value", known)))
                    elif problem := _result_problem(page, ref, names[ref.name]):
                        if self.profile == CLAIMS_PROFILE:
                            problems.append(problem)
                        else:  # claims are about the published results; tiny smoke runs may not bear them out
                            self.log(f"nnbook: {problem} (fails only with {CLAIMS_PROFILE} results)")
        return problems

    def check(self) -> list[str]:
        """Problems with the stored results of this profile: stale, missing, damaged, or
        temporary files of an interrupted run. Every problem, not the first only."""
        problems = [f"{path}: temporary file left by an interrupted run; `nnbook figures` removes it"
                    for path in self.store.leftovers()]
        stored = self.store.entries()
        for experiment_id in sorted(self.experiments):
            key = self.key(experiment_id)
            path = self.store.path(experiment_id, key)
            if path.exists() and not path.is_file():
                problems.append(f"{experiment_id}: damaged: {path} is not a file; remove it")
                continue
            if (blocked := obstacle(path.parent)) is not None:
                problems.append(f"{experiment_id}: {blocked} is a file where a results folder must be; remove it")
                continue
            if not self.store.has(experiment_id, key):
                what = "stale (its code, parameters or versions changed)" if experiment_id in stored else "missing"
                problems.append(f"{experiment_id}: {what}; run `nnbook figures` and commit what it writes under "
                                f"{self.store.folder(experiment_id)}")
                continue
            try:
                self.store.load(experiment_id, key)
            except DamagedEntry as e:
                problems.append(f"{experiment_id}: damaged: {e}")
        known = set(self.experiments)
        problems += [f"{i}: stored results of an experiment that no longer exists ({paths[0].parent})"
                     for i, paths in stored.items() if i not in known]
        return problems

