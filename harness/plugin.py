"""The dbapi-conformance pytest plugin (entry point ``pytest11``).

Inert until a driver is configured (``--dbapi-driver``, env DBAPI_DRIVER or ini
dbapi_driver): before that it only registers its options, hook specs, markers and fixtures.
Once active it builds the targets (driver x server), runs the installed conformance suite
when no test paths were given, parametrises every test that uses ``dbapi_target`` over the
targets, and writes the per-clause reports (harness/report.py) at the end of the session.

Fixtures (documented in README.md): dbapi_target, dbapi_module, dbapi_server,
dbapi_connect, dbapi_connect_unreachable, dbapi_connection, dbapi_cursor, dbapi_table,
dbapi_params, dbapi_observe, dbapi_optional, dbapi_family. Markers: ``pep249(*clause_ids)``,
``dbapi_requires(*capabilities)``, ``dbapi_without(*capabilities)``.

n/a comes only from declared capabilities (harness/capabilities.py), and a capability may
gate a test only where every clause of the test allows it (harness/clauses.py
``gating_problems``): markers are checked at collection time, ``dbapi_optional`` and
``dbapi_family`` when they are called. A test that breaks the rule errors.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dbapi_conformance.harness.baseline import (
    BaselineError,
    attach,
    load_baselines,
    regressed,
)
from dbapi_conformance.harness.capabilities import TYPE_FAMILY_CAPABILITIES
from dbapi_conformance.harness.clauses import gating_problems
from dbapi_conformance.harness.connections import (
    UNREACHABLE_TIMEOUT,
    CallTimedOut,
    ConnectionFactory,
    DeadPort,
    UnreachableConnector,
    make_table_factory,
)
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.options import Settings, add_options, read_settings
from dbapi_conformance.harness.params import Params
from dbapi_conformance.harness.profiles import driver_info
from dbapi_conformance.harness.render import baseline_lines, terminal_lines
from dbapi_conformance.harness.report import (
    PROP_CLAUSES,
    PROP_DRIVER,
    PROP_NA,
    PROP_OBSERVED,
    PROP_SERVER,
    PROP_TARGET,
    ReportCollector,
    trim,
    write_reports,
)
from dbapi_conformance.harness.servers import ServerPool, fill_server_version
from dbapi_conformance.harness.targets import Target, build_targets

SUITE_PACKAGE = "dbapi_conformance.suites.pep249"

#: Markers naming the capabilities that can make a test n/a.
GATING_MARKERS = ("dbapi_requires", "dbapi_without")
#: Where a test's gating problems wait for its setup (an error there).
_RULE_PROBLEMS = pytest.StashKey[list[str]]()


class CapabilityRuleError(Exception):
    """A test is gated by a capability that one of its clauses does not allow (a suite bug)."""


def clause_ids(item: pytest.Item) -> list[str]:
    """The ``pep249`` clause ids of a test, in marker order, without repeats."""
    return list(dict.fromkeys(
        str(cid) for mark in item.iter_markers("pep249") for cid in mark.args
    ))


def gating_capabilities(item: pytest.Item) -> list[str]:
    """Capabilities named by the test's ``dbapi_requires`` and ``dbapi_without`` markers."""
    return list(dict.fromkeys(
        str(name) for marker in GATING_MARKERS for mark in item.iter_markers(marker)
        for name in mark.args
    ))


class ActiveRun:
    """The hooks of an active run, registered as a plugin of its own config.

    Keeping them off the module keeps the plugin inert without a driver, and keeps nested
    runs (pytester) apart. ``collector`` is None on xdist workers: the controller reports,
    and it alone reads the baseline (``baselines``: None without --dbapi-baseline).
    """

    def __init__(self, config: pytest.Config, settings: Settings, targets: list[Target]):
        self.settings = settings
        self.targets = targets
        is_worker = hasattr(config, "workerinput")
        self.collector = None if is_worker else ReportCollector(
            {t.id: _target_meta(t) for t in targets}
        )
        self.reports: list[dict[str, Any]] = []
        self.baselines = None
        if self.collector is not None and settings.baseline is not None:
            try:
                self.baselines = load_baselines(settings.baseline, [t.id for t in targets])
            except BaselineError as exc:
                raise pytest.UsageError(f"--dbapi-baseline: {exc}") from None
        # Failed tests (and collection errors) that no clause of the report accounts for.
        self.unreported_failures = 0
        # Driver and server descriptions travel once per target and process (worker).
        self.announced: set[tuple[str, str]] = set()

    def announce(self, item: pytest.Item, target: Target, key: str, value: Any) -> None:
        """Attach ``value`` under ``key`` to the first report of ``target`` in this process."""
        if (target.id, key) not in self.announced:
            self.announced.add((target.id, key))
            item.user_properties.append((key, value))

    def pytest_report_header(self) -> list[str]:
        return [
            f"dbapi: targets {', '.join(t.id for t in self.targets)}",
            f"dbapi: reports to {self.settings.report_dir}",
        ]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "dbapi_target" in metafunc.fixturenames:
            metafunc.parametrize(
                "dbapi_target", self.targets, ids=[t.id for t in self.targets], indirect=True
            )

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            target = _item_target(item)
            if target is None:
                continue
            clauses = clause_ids(item)
            item.stash[_RULE_PROBLEMS] = gating_problems(clauses, gating_capabilities(item))
            item.user_properties.append((PROP_TARGET, target.id))
            item.user_properties.append((PROP_CLAUSES, clauses))
            declared = [target.profile.expected_failures[c] for c in clauses
                        if c in target.profile.expected_failures]
            if declared:
                item.add_marker(pytest.mark.xfail(
                    reason="declared deviation: " + "; ".join(declared), strict=True
                ))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # On the controller this also sees every worker's reports (pytest-xdist).
        if self.collector is not None:
            self.collector.add(report)
            if report.failed and not _has_clauses(report):
                self.unreported_failures += 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.unreported_failures += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.collector is None or session.config.option.collectonly:
            return
        self.reports = self.collector.build()
        if self.baselines is not None:
            self.reports = attach(self.reports, self.settings.baseline, self.baselines)
        write_reports(self.reports, self.settings.report_dir)
        if self.baselines is not None:
            session.exitstatus = self.gated_status(session.exitstatus)

    def gated_status(self, status: int) -> int:
        """The exit status with a baseline: TESTS_FAILED when a clause regressed, else OK.

        Statuses other than OK and TESTS_FAILED (interrupted, usage error, ...) stand, and
        so do failures the report cannot judge: tests without clause ids or target,
        collection errors, and failing tests of a target that has no baseline.
        """
        if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            return status
        if regressed(r["baseline"] for r in self.reports) or self.unreported_failures:
            return pytest.ExitCode.TESTS_FAILED
        # A target the baseline does not cover is not gated: its failures keep failing the
        # run (a renamed target must not switch a committed gate off silently).
        if any(r["baseline"]["status"] == "no baseline" and r["tests"].get("fail")
               for r in self.reports):
            return pytest.ExitCode.TESTS_FAILED
        return pytest.ExitCode.OK

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reports:
            return
        terminalreporter.write_sep("=", "PEP 249 conformance")
        lines = terminal_lines(self.reports)
        if self.baselines is not None:
            lines = baseline_lines(self.reports) + lines
        for line in lines:
            terminalreporter.write_line(line)
        unknown = sorted({cid for r in self.reports for cid in r["unknown_clause_ids"]})
        if unknown:
            terminalreporter.write_line(f"clause ids not in the checklist: {', '.join(unknown)}")
        terminalreporter.write_line(f"reports written to {self.settings.report_dir}")


ACTIVE_RUN = "dbapi-conformance-run"


def active_run(config: pytest.Config) -> ActiveRun | None:
    """The ActiveRun of ``config``, or None when the plugin is inert."""
    run = config.pluginmanager.get_plugin(ACTIVE_RUN)
    return run if isinstance(run, ActiveRun) else None


# --- configuration --------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from dbapi_conformance.harness import hooks

    pluginmanager.add_hookspecs(hooks)


def suite_dir() -> Path:
    """Directory of the installed conformance suite; UsageError when it is missing."""
    spec = importlib.util.find_spec(SUITE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise pytest.UsageError(f"the conformance suite {SUITE_PACKAGE} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so that --strict-markers works in a directory without an ini file.
    config.addinivalue_line("markers", "pep249(*clause_ids): the PEP 249 clause IDs a test checks")
    config.addinivalue_line(
        "markers", "dbapi_requires(*capabilities): capabilities a conformance test needs"
    )
    config.addinivalue_line(
        "markers", "dbapi_without(*capabilities): the test is about targets lacking these"
    )
    settings = read_settings(config)
    if not settings.active:
        return
    targets = build_targets(config, settings)
    config.pluginmanager.register(ActiveRun(config, settings, targets), ACTIVE_RUN)
    # Without explicit paths, run the installed suite instead of testpaths/the current dir.
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(suite_dir())]
        # dbapi_conformance is a namespace package: without this pytest names the suite's
        # modules "suites.pep249.test_x", putting a generic top-level "suites" into
        # sys.modules (design.md "Layout"). There is no public setter for an ini value.
        if hasattr(config, "_inicache"):
            config._inicache["consider_namespace_packages"] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    run = active_run(config)
    if run is not None:
        config.pluginmanager.unregister(run)


def _target_meta(target: Target) -> dict[str, Any]:
    return {
        "database": target.database,
        "driver": target.driver,
        "reference": target.profile.reference,
        "server": target.server,
        "server_kind": target.server_kind,
        "capabilities_absent": target.capabilities.as_dict(),
        "known_deviations": dict(target.profile.known_deviations),
    }


def _has_clauses(report: pytest.TestReport) -> bool:
    """Whether ``report`` is of a conformance test that names clauses (it is in the report)."""
    props = {}
    for item in report.user_properties:  # pairs; xdist may hand them over as lists
        if isinstance(item, (tuple, list)) and len(item) == 2:
            props[item[0]] = item[1]
    return bool(props.get(PROP_TARGET)) and bool(props.get(PROP_CLAUSES))


def _item_target(item: pytest.Item) -> Target | None:
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("dbapi_target") if callspec else None
    return target if isinstance(target, Target) else None


# --- fixtures -------------------------------------------------------------------------------


def _not_applicable(node: pytest.Item, reason: str) -> None:
    node.user_properties.append((PROP_NA, reason))
    pytest.skip(f"n/a: {reason}")


@pytest.fixture(scope="session")
def _dbapi_pool(tmp_path_factory: pytest.TempPathFactory,
                pytestconfig: pytest.Config) -> Iterator[ServerPool]:
    """The session's server backends (one pool per xdist worker)."""
    run = active_run(pytestconfig)
    options = run.settings.mock_options if run is not None else ()
    pool = ServerPool(tmp_path_factory.mktemp("dbapi"), options)
    yield pool
    pool.close()


def _check_gate(node: pytest.Item, capability: str) -> None:
    """Raise CapabilityRuleError unless every clause of ``node`` allows ``capability``."""
    problems = gating_problems(clause_ids(node), [capability])
    if problems:
        raise CapabilityRuleError(f"{node.name}: " + "; ".join(problems))


@pytest.fixture
def dbapi_target(request: pytest.FixtureRequest) -> Target:
    """The Target under test; n/a when a ``dbapi_requires`` capability is declared absent.

    Also n/a when a ``dbapi_without`` capability is *not* declared absent (the test is about
    targets that lack it). CapabilityRuleError when a marker names a capability that one of
    the test's clauses does not allow; ValueError for an unknown capability name.
    """
    target = getattr(request, "param", None)
    if not isinstance(target, Target):
        pytest.skip("dbapi-conformance is not configured: run pytest with --dbapi-driver=MODULE")
    node = request.node
    problems = node.stash.get(_RULE_PROBLEMS, None)
    if problems is None:  # not collected through this run's hooks
        problems = gating_problems(clause_ids(node), gating_capabilities(node))
    if problems:
        raise CapabilityRuleError(f"{node.name}: " + "; ".join(problems))
    for mark in node.iter_markers("dbapi_requires"):
        for name in mark.args:
            if not target.capabilities.has(name):  # ValueError for an unknown name
                _not_applicable(node, f"{name}: {target.capabilities.reason(name)}")
    for mark in node.iter_markers("dbapi_without"):
        for name in mark.args:
            if target.capabilities.has(name):
                _not_applicable(node, f"{name}: the clause is about targets without {name}, "
                                      f"and this target does not declare {name!r} absent")
    return target


@pytest.fixture
def dbapi_module(dbapi_target: Target, request: pytest.FixtureRequest) -> ModuleType:
    """The imported driver module."""
    module = importlib.import_module(dbapi_target.driver)
    run = active_run(request.config)
    if run is not None:
        run.announce(request.node, dbapi_target, PROP_DRIVER, driver_info(module))
    return module


@pytest.fixture
def dbapi_server(
    dbapi_target: Target,
    dbapi_module: ModuleType,
    _dbapi_pool: ServerPool,
    request: pytest.FixtureRequest,
) -> Endpoint:
    """The running server of the target (started once per session); skips when none can run.

    For an embedded database (no server) ``data_dir`` is a fresh directory per test, so
    tests share no files: nothing a failed test leaves behind (open handles, locks) leaks.
    """
    try:
        endpoint = _dbapi_pool.endpoint(dbapi_target)
    except ServerUnavailable as exc:
        pytest.skip(f"{dbapi_target.id}: {exc}")
    if endpoint.kind == "none" and endpoint.data_dir is not None:
        test_dir = Path(tempfile.mkdtemp(prefix="test_", dir=endpoint.data_dir))
        endpoint = dataclasses.replace(endpoint, data_dir=test_dir)
    fill_server_version(
        endpoint, dbapi_target, lambda: dbapi_target.profile.connect(dbapi_module, endpoint)
    )
    run = active_run(request.config)
    if run is not None:
        run.announce(request.node, dbapi_target, PROP_SERVER,
                     {**endpoint.describe(), "spec": dbapi_target.server})
    return endpoint


@pytest.fixture
def dbapi_connect(
    dbapi_target: Target, dbapi_module: ModuleType, dbapi_server: Endpoint
) -> Iterator[ConnectionFactory]:
    """``dbapi_connect()`` returns a new open connection; all are closed at teardown."""
    factory = ConnectionFactory(lambda: dbapi_target.profile.connect(dbapi_module, dbapi_server))
    yield factory
    factory.teardown()


@pytest.fixture
def dbapi_connect_unreachable(
    dbapi_target: Target,
    dbapi_module: ModuleType,
    dbapi_server: Endpoint,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[], Any]]:
    """``dbapi_connect_unreachable()``: connect with the target's profile where no server is.

    The endpoint is the target's own (scheme, path, credentials) moved to 127.0.0.1 at a
    port that is bound but never listens (connections are refused at once), with
    ``Endpoint.timeout`` = UNREACHABLE_TIMEOUT s for drivers whose profile passes a
    timeout. Returns the connection when the driver connects lazily (the error then comes
    with the first execute), else raises the driver's error (EXC-OPER-1). The test fails
    when connect() hangs for UNREACHABLE_LIMIT s; n/a when the target declares the
    capability ``server`` absent (every embedded database does).
    Connections are closed and the port released at teardown.
    """

    def open_at(port: int) -> Any:
        endpoint = dataclasses.replace(
            dbapi_server.moved_to(DeadPort.host, port), timeout=UNREACHABLE_TIMEOUT
        )
        return dbapi_target.profile.connect(dbapi_module, endpoint)

    connector = UnreachableConnector(open_at)

    def connect() -> Any:
        _check_gate(request.node, "server")
        if not dbapi_target.capabilities.has("server"):
            _not_applicable(request.node, f"server: {dbapi_target.capabilities.reason('server')}")
        try:
            return connector()
        except CallTimedOut as exc:
            pytest.fail(f"connecting to a port where nothing listens did not fail: {exc}")

    yield connect
    connector.teardown()


@pytest.fixture
def dbapi_connection(dbapi_connect: Callable[[], Any]) -> Any:
    """One open connection of the target (closed at teardown)."""
    return dbapi_connect()


@pytest.fixture
def dbapi_cursor(dbapi_connection: Any) -> Iterator[Any]:
    """A cursor of ``dbapi_connection`` (closed at teardown, errors ignored)."""
    cursor = dbapi_connection.cursor()
    yield cursor
    try:
        cursor.close()
    except Exception:  # the test may have closed it or its connection already
        pass


@pytest.fixture
def dbapi_table(
    dbapi_target: Target, dbapi_connect: Callable[[], Any], request: pytest.FixtureRequest
) -> Callable[..., str]:
    """``dbapi_table(shape="basic")`` creates a fresh table (t_<8 hex>) and returns its name.

    Shapes: "basic" (id, name) and "types" (id + one column per type family of
    ``dbapi_target.sql``). Tables are dropped at teardown, after the test's connections are
    closed; errors at drop are ignored.
    """
    defer = getattr(dbapi_connect, "defer", None) or request.addfinalizer
    return make_table_factory(dbapi_target.sql, dbapi_connect, defer)


@pytest.fixture
def dbapi_params(dbapi_module: ModuleType) -> Params:
    """Placeholders and parameter objects in the module's paramstyle (harness/params.py)."""
    return Params(getattr(dbapi_module, "paramstyle", None))


@pytest.fixture
def dbapi_observe(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``dbapi_observe(clause_id, text)`` records what was observed (MAY/UNSPEC clauses)."""

    def observe(clause_id: str, text: Any) -> None:
        request.node.user_properties.append((PROP_OBSERVED, [str(clause_id), trim(text)]))

    return observe


def _what(obj: Any) -> str:
    """"cursor", "connection" or the type name of ``obj``, for failure messages."""
    if callable(getattr(obj, "fetchone", None)):
        return "cursor"
    if callable(getattr(obj, "cursor", None)):
        return "connection"
    return type(obj).__name__


@pytest.fixture
def dbapi_optional(
    dbapi_target: Target, request: pytest.FixtureRequest
) -> Callable[[Any, str, str], Any]:
    """``dbapi_optional(obj, name, capability)``: ``obj.<name>`` of an optional extension.

    When the attribute is missing: n/a with the declared reason if the target declares
    ``capability`` absent, else the test fails ("cursor has no attribute rownumber, and the
    target does not declare the capability 'rownumber' absent"). CapabilityRuleError when a
    clause of the test does not allow ``capability``; ValueError for an unknown name.
    """

    def optional(obj: Any, name: str, capability: str) -> Any:
        _check_gate(request.node, capability)
        declared = not dbapi_target.capabilities.has(capability)
        try:
            return getattr(obj, name)
        except AttributeError:
            if declared:
                _not_applicable(
                    request.node, f"{capability}: {dbapi_target.capabilities.reason(capability)}"
                )
            pytest.fail(f"{_what(obj)} has no attribute {name}, and the target does not "
                        f"declare the capability {capability!r} absent")

    return optional


@pytest.fixture
def dbapi_family(dbapi_target: Target, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """``dbapi_family(family)``: the column DDL of a SqlProfile type family (TYPE_FAMILIES).

    n/a with the declared reason when the family's capability (TYPE_FAMILY_CAPABILITIES:
    binary, date_type, time_type, decimal_type, bool_type) is declared absent. When the
    SqlProfile has no type for it otherwise, the test fails ("SqlProfile has no binary type,
    and the capability 'binary' is not declared absent"). CapabilityRuleError when a clause
    of the test does not allow the family's capability.
    """

    def family(name: str) -> str:
        capability = TYPE_FAMILY_CAPABILITIES.get(name)
        if capability is not None:
            _check_gate(request.node, capability)
            if not dbapi_target.capabilities.has(capability):
                _not_applicable(
                    request.node, f"{capability}: {dbapi_target.capabilities.reason(capability)}"
                )
        if not dbapi_target.sql.has_type(name):
            if capability is None:
                pytest.fail(f"SqlProfile has no {name} type, and no capability lets a target "
                            "leave it out")
            pytest.fail(f"SqlProfile has no {name} type, and the capability {capability!r} "
                        "is not declared absent")
        return dbapi_target.sql.type_of(name)

    return family
