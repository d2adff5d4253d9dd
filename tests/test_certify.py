"""Certification pinned per (driver, database, server): the project's Done criteria.

One row per target of the table below: the exact set of failing suite tests (not only
clauses), the exact n/a set (each n/a must carry a capability the target declares absent,
with its reason), the verdict line, and for every failing clause the declared deviation.
Adding a database, or a client of one, adds a row. A new mock bug, a suite regression, a
fixed deviation, a capability declared absent by mistake: each shows up as a changed pin.

Each row's suite run happens once per module, in a subprocess (pytester), and its JSON
report is reused by every test that needs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dbapi_conformance.harness.databases import DATABASES, builtin_profile

#: Levels whose clauses must pass (or not apply, with a reason).
SCORED = ("MUST", "SHOULD", "OPT")
#: Seconds one whole suite run may take before it is taken for a hang.
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Row:
    """What one certification run must show.

    - ``driver``: the ``--dbapi-driver`` value; ``database``, ``server``: the target's.
    - ``target``: the expected target id; ``version``: the driver version the pins were
      confirmed with (None: not checked, for this project's own drivers).
    - ``verdicts``: the report's verdict line, "MUST a/b SHOULD c/d OPT e/f".
    - ``failing``: suite tests that fail, as "file::test[params without the target id]".
    - ``na``: suite test (named as in ``failing``) -> the capability whose declared
      absence makes it n/a.
    """

    driver: str
    database: str
    server: str
    target: str
    verdicts: str
    version: str | None = None
    failing: frozenset[str] = frozenset()
    na: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.driver}-{self.database}-{self.server}"


#: The suite's two-phase-commit tests: n/a wherever the database declares no "tpc".
_NA_TPC = {f"test_tpc.py::test_{name}": "tpc" for name in (
    "commit_and_rollback_inside_tpc_raise[commit]",
    "commit_and_rollback_inside_tpc_raise[rollback]", "tpc_api_is_complete",
    "tpc_begin_outside_and_inside_a_transaction", "tpc_commit[one_phase]",
    "tpc_commit[two_phase]", "tpc_commit_for_recovery", "tpc_prepare_rules",
    "tpc_recover", "tpc_rollback[after_prepare]", "tpc_rollback[before_prepare]",
    "tpc_rollback[recovery]", "xid_extremes", "xid_is_a_three_item_sequence",
    "xid_without_tpc_raises")}

#: The suite tests that are n/a against CrateDB, test -> the capability CrateDB declares
#: absent.
_NA_CRATEDB = {
    "test_connection.py::test_closed_connection_raises_error[rollback]": "rollback",
    "test_execute.py::test_closed_cursor_raises_error[callproc]": "callproc",
    "test_execute.py::test_closed_cursor_raises_error[nextset]": "nextset",
    "test_extensions.py::test_autocommit_attribute": "autocommit_attribute",
    "test_extensions.py::test_autocommit_switch": "transactions",
    **{f"test_extensions.py::test_{name}": "callproc" for name in (
        "callproc_is_a_method", "callproc_result_set", "callproc_returns_modified_copy")},
    "test_extensions.py::test_cursor_messages_hold_the_database_messages": "warning_messages",
    **{f"test_extensions.py::test_{name}": "nextset" for name in (
        "nextset_is_a_method", "nextset_moves_to_the_next_set", "nextset_with_a_single_set",
        "nextset_without_result_set_raises")},
    **_NA_TPC,
    **{f"test_transactions.py::test_{name}": "transactions" for name in (
        "autocommit_is_off_when_the_connection_opens", "close_without_commit_rolls_back",
        "rollback_discards_the_pending_transaction")},
    "test_transactions.py::test_rollback_is_a_method": "rollback",
    **{f"test_types.py::test_{name}": "binary" for name in (
        "binary_values_are_bound_as_binary", "binary_values_round_trip",
        "results_have_hinted_types[binary]", "type_code_compares_equal_to_type_object[binary]")},
    **{f"test_types.py::test_{name}[{family}]": f"{family}_type"
       for family in ("date", "time")
       for name in ("constructed_values_are_bound_as_their_type", "results_have_hinted_types",
                    "temporal_values_round_trip", "type_code_compares_equal_to_type_object")},
    **{f"test_types.py::test_{name}": "decimal_type" for name in (
        "decimal_result_type", "plain_values_round_trip[decimal]",
        "type_code_compares_equal_to_type_object[decimal]")},
}

#: What crate.client lacks beyond CrateDB, test -> capability (its profile's declarations).
_NA_CRATE_CLIENT = {
    **_NA_CRATEDB,
    **{f"test_extensions.py::test_{name}": "errorhandler" for name in (
        "cursor_copies_the_connection_errorhandler", "errorhandler_attributes",
        "errorhandler_is_called")},

    **{f"test_extensions.py::test_{name}": "messages" for name in (
        "connection_messages_are_cleared_by_standard_methods",
        "cursor_messages_are_cleared_by_standard_methods", "cursor_messages_is_a_list")},
    "test_extensions.py::test_exception_classes_on_the_connection": "connection_exceptions",
    "test_extensions.py::test_rownumber": "rownumber",
    **{f"test_extensions.py::test_{name}": "scroll" for name in (
        "scroll", "scroll_backwards", "scroll_outside_the_result_set")},
}

_CRATE_CLIENT_FAILING = frozenset({
    "test_cursor_attributes.py::test_description_is_none_before_execute",
    *(f"test_cursor_attributes.py::test_description_is_none_without_result_set[{k}]"
      for k in ("ddl", "delete", "insert", "update")),
    "test_cursor_attributes.py::test_description_mandatory_and_optional_items",
    *(f"test_exceptions.py::test_database_error_subclass[{name}]" for name in (
        "DataError", "IntegrityError", "InternalError", "NotSupportedError",
        "OperationalError", "ProgrammingError")),
    "test_exceptions.py::test_database_error_subclasses_error",
    *(f"test_exceptions.py::test_error_class_per_failure[{case}]" for case in (
        "data_error-DataError", "duplicate_key-IntegrityError",
        "existing_table-ProgrammingError",
        "syntax_error-ProgrammingError", "too_few_parameters-ProgrammingError",
        "unknown_table-ProgrammingError", "unreachable_server-OperationalError")),
    "test_exceptions.py::test_error_is_the_base_of_all_errors",
    "test_exceptions.py::test_errors_are_module_errors[unbindable_parameter]",
    "test_exceptions.py::test_interface_error_subclasses_error",
    "test_exceptions.py::test_warning_is_not_an_error",
    "test_exceptions.py::test_warning_subclasses_exception",
    "test_execute.py::test_parameters_in_custom_getitem_containers",
    "test_execute.py::test_percent_escape_in_format_styles",
    "test_extensions.py::test_cursor_connection",
    "test_extensions.py::test_lastrowid",
    *(f"test_fetch.py::test_fetch_without_result_set_raises[{method}-{after}]"
      for method in ("fetchall", "fetchmany", "fetchone")
      for after in ("after_ddl", "after_executemany", "after_insert")),
    "test_types.py::test_binary_constructor_holds_bytes",
    "test_types.py::test_constructed_values_are_bound_as_their_type[timestamp]",
    "test_types.py::test_constructors_return_hinted_types",
    "test_types.py::test_results_have_hinted_types[timestamp]",
    *(f"test_types.py::test_temporal_constructors_build_values[{k}]"
      for k in ("date", "time", "timestamp")),
    "test_types.py::test_temporal_values_round_trip[timestamp]",
    "test_types.py::test_ticks_constructors_use_local_time",
    *(f"test_types.py::test_type_code_compares_equal_to_type_object[{k}]"
      for k in ("bigint", "float", "int", "text", "timestamp")),
    "test_types.py::test_type_objects_exist",
})

#: The suite tests that are n/a against Ignite 3, test -> the capability Ignite declares
#: absent.
_NA_IGNITE = {
    # Ignite has transactions: the tests about databases without them do not apply
    "test_connection.py::test_commit_without_transactions_is_a_no_op": "without transactions",
    "test_transactions.py::test_rollback_without_transactions": "without transactions",
    **{f"test_extensions.py::test_{name}": "callproc" for name in (
        "callproc_is_a_method", "callproc_result_set", "callproc_returns_modified_copy")},
    "test_extensions.py::test_cursor_messages_hold_the_database_messages": "warning_messages",
    **{f"test_extensions.py::test_{name}": "nextset" for name in (
        "nextset_is_a_method", "nextset_moves_to_the_next_set", "nextset_with_a_single_set",
        "nextset_without_result_set_raises")},
    **_NA_TPC,
}

#: What pyignite_dbapi lacks beyond Ignite, test -> capability (its profile's declarations).
_NA_PYIGNITE = {
    **_NA_IGNITE,
    **{f"test_extensions.py::test_{name}": "errorhandler" for name in (
        "cursor_copies_the_connection_errorhandler", "errorhandler_attributes",
        "errorhandler_is_called")},
    **{f"test_extensions.py::test_{name}": "messages" for name in (
        "connection_messages_are_cleared_by_standard_methods",
        "cursor_messages_are_cleared_by_standard_methods", "cursor_messages_is_a_list")},
    **{f"test_extensions.py::test_{name}": "scroll" for name in (
        "scroll", "scroll_backwards", "scroll_outside_the_result_set")},
}

_PYIGNITE_FAILING = frozenset({
    "test_cursor_attributes.py::test_description_is_none_before_execute",
    "test_exceptions.py::test_error_class_per_failure[data_error-DataError]",
    "test_extensions.py::test_autocommit_attribute",
    "test_module.py::test_paramstyle_is_preferred",
    "test_transactions.py::test_autocommit_is_off_when_the_connection_opens",
    "test_transactions.py::test_close_without_commit_rolls_back",
    "test_transactions.py::test_rollback_discards_the_pending_transaction",
    *(f"test_types.py::test_type_code_compares_equal_to_type_object[{k}]"
      for k in ("int", "bigint", "float", "date", "time")),
    "test_types.py::test_temporal_constructors_build_values[timestamp]",
    "test_types.py::test_temporal_values_round_trip[timestamp]",
    "test_types.py::test_constructors_return_hinted_types",
})


#: The suite tests that are n/a against VoltDB, test -> the capability VoltDB declares
#: absent (its reference driver has rollback(), raising NotSupportedError, and autocommit).
_NA_VOLTDB = {
    "test_extensions.py::test_autocommit_switch": "transactions",
    "test_extensions.py::test_callproc_returns_modified_copy": "callproc_inout",
    "test_extensions.py::test_cursor_messages_hold_the_database_messages": "warning_messages",
    **_NA_TPC,
    **{f"test_transactions.py::test_{name}": "transactions" for name in (
        "autocommit_is_off_when_the_connection_opens", "close_without_commit_rolls_back",
        "rollback_discards_the_pending_transaction")},
    "test_transactions.py::test_rollback_is_a_method": "rollback",
    "test_types.py::test_plain_values_round_trip[bool]": "bool_type",
    **{f"test_types.py::test_{name}[{family}]": f"{family}_type"
       for family in ("date", "time")
       for name in ("constructed_values_are_bound_as_their_type", "results_have_hinted_types",
                    "temporal_values_round_trip", "type_code_compares_equal_to_type_object")},
}

#: The suite tests that are n/a against Exasol, test -> the capability Exasol declares
#: absent.
_NA_EXASOL = {
    "test_connection.py::test_commit_without_transactions_is_a_no_op": "without transactions",
    "test_execute.py::test_closed_cursor_raises_error[callproc]": "callproc",
    "test_execute.py::test_closed_cursor_raises_error[nextset]": "nextset",
    "test_extensions.py::test_callproc_is_a_method": "callproc",
    "test_extensions.py::test_callproc_result_set": "callproc",
    "test_extensions.py::test_callproc_returns_modified_copy": "callproc",
    "test_extensions.py::test_cursor_messages_hold_the_database_messages": "warning_messages",
    "test_extensions.py::test_nextset_is_a_method": "nextset",
    "test_extensions.py::test_nextset_moves_to_the_next_set": "nextset",
    "test_extensions.py::test_nextset_with_a_single_set": "nextset",
    "test_extensions.py::test_nextset_without_result_set_raises": "nextset",
    **_NA_TPC,
    "test_transactions.py::test_rollback_without_transactions": "without transactions",
    "test_types.py::test_binary_values_are_bound_as_binary": "binary",
    "test_types.py::test_binary_values_round_trip": "binary",
    "test_types.py::test_constructed_values_are_bound_as_their_type[time]": "time_type",
    "test_types.py::test_results_have_hinted_types[binary]": "binary",
    "test_types.py::test_results_have_hinted_types[time]": "time_type",
    "test_types.py::test_temporal_values_round_trip[time]": "time_type",
    "test_types.py::test_type_code_compares_equal_to_type_object[binary]": "binary",
    "test_types.py::test_type_code_compares_equal_to_type_object[time]": "time_type",
}

#: What exasol.driver.websocket.dbapi2 lacks beyond Exasol, test -> capability (its profile's
#: declarations).
_NA_PYEXASOL_DBAPI = {
    # methods it has, though Exasol has no use for them: run, not n/a
    **{k: v for k, v in _NA_EXASOL.items() if k not in (
        "test_execute.py::test_closed_cursor_raises_error[callproc]",
        "test_execute.py::test_closed_cursor_raises_error[nextset]",
    )},
    "test_extensions.py::test_autocommit_attribute": "autocommit_attribute",
    "test_extensions.py::test_autocommit_switch": "autocommit_attribute",
    "test_extensions.py::test_connection_messages_are_cleared_by_standard_methods": "messages",
    "test_extensions.py::test_cursor_connection": "cursor_connection",
    "test_extensions.py::test_cursor_copies_the_connection_errorhandler": "errorhandler",
    "test_extensions.py::test_cursor_messages_are_cleared_by_standard_methods": "messages",
    "test_extensions.py::test_cursor_messages_is_a_list": "messages",
    "test_extensions.py::test_errorhandler_attributes": "errorhandler",
    "test_extensions.py::test_errorhandler_is_called": "errorhandler",
    "test_extensions.py::test_exception_classes_on_the_connection": "connection_exceptions",
    "test_extensions.py::test_iter_returns_self": "iter",
    "test_extensions.py::test_lastrowid": "lastrowid",
    "test_extensions.py::test_next": "next",
    "test_extensions.py::test_rownumber": "rownumber",
    "test_extensions.py::test_scroll": "scroll",
    "test_extensions.py::test_scroll_backwards": "scroll",
    "test_extensions.py::test_scroll_outside_the_result_set": "scroll",
}

_PYEXASOL_DBAPI_FAILING = frozenset({
    "test_cursor_attributes.py::test_arraysize_and_executemany",
    "test_cursor_attributes.py::test_arraysize_defaults_to_one_and_is_writable",
    "test_cursor_attributes.py::test_fetchmany_honours_arraysize",
    "test_exceptions.py::test_error_class_per_failure[data_error-DataError]",
    "test_exceptions.py::test_error_class_per_failure[duplicate_key-IntegrityError]",
    "test_exceptions.py::test_errors_are_module_errors[unbindable_parameter]",
    "test_execute.py::test_setoutputsize",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchall-after_ddl]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchall-after_executemany]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchall-after_insert]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchmany-after_ddl]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchmany-after_executemany]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchmany-after_insert]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_ddl]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_executemany]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_insert]",
    "test_fetch.py::test_fetchmany_size_defaults_to_arraysize",
    "test_module.py::test_paramstyle_is_preferred",
    "test_transactions.py::test_autocommit_is_off_when_the_connection_opens",
    "test_transactions.py::test_close_without_commit_rolls_back",
    "test_transactions.py::test_rollback_discards_the_pending_transaction",
    "test_types.py::test_binary_constructor_holds_bytes",
    "test_types.py::test_constructors_return_hinted_types",
})

#: What EXASOL (EXASOL-DB-API) lacks beyond Exasol, test -> capability (its profile's
#: declarations).
_NA_EXASOL_DB_API = {
    # methods it has, though Exasol has no use for them: run, not n/a
    **{k: v for k, v in _NA_EXASOL.items() if k not in (
        "test_execute.py::test_closed_cursor_raises_error[callproc]",
        "test_execute.py::test_closed_cursor_raises_error[nextset]",
    )},
    "test_extensions.py::test_autocommit_attribute": "autocommit_attribute",
    "test_extensions.py::test_autocommit_switch": "autocommit_attribute",
    "test_extensions.py::test_connection_messages_are_cleared_by_standard_methods": "messages",
    "test_extensions.py::test_cursor_copies_the_connection_errorhandler": "errorhandler",
    "test_extensions.py::test_cursor_messages_are_cleared_by_standard_methods": "messages",
    "test_extensions.py::test_cursor_messages_is_a_list": "messages",
    "test_extensions.py::test_errorhandler_attributes": "errorhandler",
    "test_extensions.py::test_errorhandler_is_called": "errorhandler",
    "test_extensions.py::test_exception_classes_on_the_connection": "connection_exceptions",
    "test_extensions.py::test_lastrowid": "lastrowid",
}

_EXASOL_DB_API_FAILING = frozenset({
    "test_connection.py::test_closed_connection_raises_error[cursor]",
    "test_cursor_attributes.py::test_description_has_seven_items_per_column",
    "test_cursor_attributes.py::test_description_is_none_without_result_set[ddl]",
    "test_cursor_attributes.py::test_description_is_none_without_result_set[delete]",
    "test_cursor_attributes.py::test_description_is_none_without_result_set[insert]",
    "test_cursor_attributes.py::test_description_is_none_without_result_set[update]",
    "test_cursor_attributes.py::test_description_is_read_only",
    "test_cursor_attributes.py::test_description_mandatory_and_optional_items",
    "test_cursor_attributes.py::test_fetchmany_honours_arraysize",
    "test_cursor_attributes.py::test_rowcount_before_and_after_fetch",
    "test_cursor_attributes.py::test_rowcount_counts_affected_rows",
    "test_cursor_attributes.py::test_rowcount_counts_matched_rows_of_update",
    "test_cursor_attributes.py::test_rowcount_is_minus_one_before_execute",
    "test_cursor_attributes.py::test_rowcount_is_read_only",
    "test_cursor_attributes.py::test_rowcount_of_a_query",
    "test_exceptions.py::test_error_class_per_failure[data_error-DataError]",
    "test_exceptions.py::test_error_class_per_failure[duplicate_key-IntegrityError]",
    "test_exceptions.py::test_error_class_per_failure[existing_table-ProgrammingError]",
    "test_exceptions.py::test_error_class_per_failure[syntax_error-ProgrammingError]",
    "test_exceptions.py::test_error_class_per_failure[too_few_parameters-ProgrammingError]",
    "test_exceptions.py::test_error_class_per_failure[unknown_table-ProgrammingError]",
    "test_exceptions.py::test_error_class_per_failure[unreachable_server-OperationalError]",
    "test_exceptions.py::test_errors_are_module_errors[closed_cursor]",
    "test_exceptions.py::test_errors_are_module_errors[unreachable_server]",
    "test_execute.py::test_bound_text_with_nul",
    "test_execute.py::test_bound_values_need_no_escaping",
    "test_execute.py::test_closed_cursor_raises_error[callproc]",
    "test_execute.py::test_closed_cursor_raises_error[execute]",
    "test_execute.py::test_closed_cursor_raises_error[executemany]",
    "test_execute.py::test_closed_cursor_raises_error[fetchall]",
    "test_execute.py::test_closed_cursor_raises_error[fetchmany]",
    "test_execute.py::test_closed_cursor_raises_error[fetchone]",
    "test_execute.py::test_closed_cursor_raises_error[nextset]",
    "test_execute.py::test_cursor_close_takes_effect_at_once",
    "test_execute.py::test_declared_paramstyle_works",
    "test_execute.py::test_executemany_with_a_query",
    "test_execute.py::test_parameters_as_builtin_sequence_or_mapping",
    "test_execute.py::test_parameters_in_custom_getitem_containers",
    "test_execute.py::test_percent_escape_in_format_styles",
    "test_execute.py::test_placeholders_inside_literals_are_not_parameters",
    "test_execute.py::test_repeated_operation",
    "test_execute.py::test_setinputsizes",
    "test_execute.py::test_setoutputsize",
    "test_execute.py::test_values_larger_than_declared_input_sizes",
    "test_extensions.py::test_cursor_connection",
    "test_extensions.py::test_iter_returns_self",
    "test_extensions.py::test_next",
    "test_extensions.py::test_rownumber",
    "test_extensions.py::test_scroll",
    "test_extensions.py::test_scroll_backwards",
    "test_extensions.py::test_scroll_outside_the_result_set",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchall-after_insert]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchmany-after_insert]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_insert]",
    "test_fetch.py::test_fetchall_on_empty_result",
    "test_fetch.py::test_fetchall_returns_the_remaining_rows",
    "test_fetch.py::test_fetchmany_returns_fewer_only_at_the_end",
    "test_fetch.py::test_fetchmany_returns_sequences_then_empty",
    "test_fetch.py::test_fetchmany_size_defaults_to_arraysize",
    "test_fetch.py::test_fetchone_prefetch",
    "test_fetch.py::test_fetchone_returns_rows_then_none",
    "test_module.py::test_paramstyle_is_preferred",
    "test_module.py::test_threadsafety_is_0_to_3",
    "test_threads.py::test_threads_share_a_connection",
    "test_threads.py::test_threads_share_a_cursor",
    "test_threads.py::test_threads_share_the_module",
    "test_transactions.py::test_autocommit_is_off_when_the_connection_opens",
    "test_transactions.py::test_close_without_commit_rolls_back",
    "test_transactions.py::test_commit_makes_writes_visible_to_other_connections",
    "test_transactions.py::test_cursors_of_one_connection_see_each_others_changes",
    "test_transactions.py::test_isolation_between_connections",
    "test_transactions.py::test_rollback_discards_the_pending_transaction",
    "test_types.py::test_binary_constructor_holds_bytes",
    "test_types.py::test_constructed_values_are_bound_as_their_type[date]",
    "test_types.py::test_constructed_values_are_bound_as_their_type[timestamp]",
    "test_types.py::test_constructors_return_hinted_types",
    "test_types.py::test_none_is_null_in_and_out",
    "test_types.py::test_plain_values_round_trip[bigint]",
    "test_types.py::test_plain_values_round_trip[bool]",
    "test_types.py::test_plain_values_round_trip[decimal]",
    "test_types.py::test_plain_values_round_trip[float]",
    "test_types.py::test_plain_values_round_trip[int]",
    "test_types.py::test_plain_values_round_trip[text]",
    "test_types.py::test_results_have_hinted_types[date]",
    "test_types.py::test_results_have_hinted_types[timestamp]",
    "test_types.py::test_temporal_values_round_trip[date]",
    "test_types.py::test_temporal_values_round_trip[timestamp]",
    "test_types.py::test_ticks_constructors_use_local_time",
    "test_types.py::test_type_code_compares_equal_to_type_object[bigint]",
    "test_types.py::test_type_code_compares_equal_to_type_object[date]",
    "test_types.py::test_type_code_compares_equal_to_type_object[decimal]",
    "test_types.py::test_type_code_compares_equal_to_type_object[float]",
    "test_types.py::test_type_code_compares_equal_to_type_object[int]",
    "test_types.py::test_type_code_compares_equal_to_type_object[text]",
    "test_types.py::test_type_code_compares_equal_to_type_object[timestamp]",
    "test_types.py::test_type_objects_exist",
})

#: The certification table: one row per (driver, database, server).
ROWS = (
    Row("cratedb", "cratedb", "mock", "cratedb-mock",
        "MUST 55/55 SHOULD 12/12 OPT 15/15", na=_NA_CRATEDB),
    Row("crate.client", "cratedb", "mock", "crate.client-cratedb-mock",
        "MUST 32/55 SHOULD 9/12 OPT 2/4", version="2.3.0", failing=_CRATE_CLIENT_FAILING,
        na=_NA_CRATE_CLIENT),
    Row("exasol", "exasol", "mock", "exasol-mock",
        "MUST 57/57 SHOULD 10/10 OPT 19/19", na=_NA_EXASOL),
    Row("exasol.driver.websocket.dbapi2", "exasol", "mock",
        "exasol.driver.websocket.dbapi2-exasol-mock", "MUST 45/57 SHOULD 7/10 OPT 1/2",
        version="3.0.1", failing=_PYEXASOL_DBAPI_FAILING, na=_NA_PYEXASOL_DBAPI),
    Row("EXASOL", "exasol", "mock", "EXASOL-exasol-mock", "MUST 16/57 SHOULD 3/10 OPT 1/9",
        version="6.0.0", failing=_EXASOL_DB_API_FAILING, na=_NA_EXASOL_DB_API),
    Row("ignite", "ignite", "mock", "ignite-mock",
        "MUST 57/57 SHOULD 10/10 OPT 19/19", na=_NA_IGNITE),
    Row("pyignite_dbapi", "ignite", "mock", "pyignite_dbapi-ignite-mock",
        "MUST 51/57 SHOULD 8/10 OPT 8/10", version="3.1.0", failing=_PYIGNITE_FAILING,
        na=_NA_PYIGNITE),
    Row("voltdb", "voltdb", "mock", "voltdb-mock",
        "MUST 55/55 SHOULD 12/12 OPT 21/21", na=_NA_VOLTDB),
)


# --- what a report shows -------------------------------------------------------------------


def test_name(nodeid: str, target: str) -> str:
    """``test_x.py::test_y[<target>-a-b]`` -> ``test_x.py::test_y[a-b]`` (no brackets if
    only the target id was there)."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return nodeid
    base, _, params = nodeid[:-1].partition("[")
    params = "-".join(p for p in params.replace(target, "").split("-") if p)
    return f"{base}[{params}]" if params else base


test_name.__test__ = False  # a helper, not a test


def failing_tests(report: dict[str, Any]) -> set[str]:
    """Names of the report's tests that failed (any clause)."""
    return {test_name(t["nodeid"], report["target"]) for c in report["clauses"]
            for t in c["tests"] if t["outcome"] == "fail"}


def verdict_line(report: dict[str, Any]) -> str:
    return " ".join(report["verdicts"][level] for level in SCORED)


def coverage_problems(report: dict[str, Any]) -> list[str]:
    """Clauses nobody tests, n/a without a reason, ids or tests outside the checklist."""
    problems = [f"{c['id']} ({c['level']}): uncovered" for c in report["clauses"]
                if c["outcome"] == "uncovered"]
    problems += [f"{c['id']} ({c['level']}): n/a without a reason" for c in report["clauses"]
                 if c["outcome"] == "n/a" and not (c["detail"] or "").strip()]
    problems += [f"clause id not in the checklist: {cid}" for cid in report["unknown_clause_ids"]]
    problems += [f"test without a pep249 marker: {t}" for t in report["untagged_tests"]]
    return problems


def na_problems(report: dict[str, Any], expected: Mapping[str, str]) -> list[str]:
    """Differences between the report's n/a tests and ``expected`` (test -> capability):
    every n/a test must carry ``<capability>: <the reason the target declares for it>``;
    ``"without <capability>"`` pins a test about targets lacking a capability the target
    has (``dbapi_without``), n/a with the plugin's own reason."""
    absent = report["capabilities_absent"]
    found = {test_name(t["nodeid"], report["target"]): t["detail"] or ""
             for c in report["clauses"] for t in c["tests"] if t["outcome"] == "n/a"}
    problems = [f"{test} is n/a, not pinned: {found[test]}"
                for test in sorted(set(found) - set(expected))]
    problems += [f"{test} is pinned n/a ({expected[test]}) but is not n/a"
                 for test in sorted(set(expected) - set(found))]
    for test in sorted(set(found) & set(expected)):
        capability = expected[test]
        if capability.startswith("without "):  # a dbapi_without test, n/a where present
            capability = capability.removeprefix("without ")
            want = f"{capability}: the clause is about targets without {capability}"
            if capability in absent or not found[test].startswith(want):
                problems.append(f"{test}: n/a detail {found[test]!r} is not {want!r}")
            continue
        want = f"{capability}: {absent.get(capability, '<not declared>')}"
        if capability not in absent or not found[test].startswith(want):
            problems.append(f"{test}: n/a detail {found[test]!r} is not the declared {want!r}")
    return problems


def deviation_problems(report: dict[str, Any], deviations: Mapping[str, str]) -> list[str]:
    """Differences between the failed clauses of ``report`` and the declared ``deviations``."""
    outcome = {c["id"]: c for c in report["clauses"]}
    failed = {cid for cid, c in outcome.items() if c["outcome"] == "fail"}
    problems = [f"{cid} fails without a declared deviation: {outcome[cid]['detail']}"
                for cid in sorted(failed - set(deviations))]
    problems += [
        f"{cid} is a declared deviation but its outcome is "
        f"{outcome[cid]['outcome'] if cid in outcome else 'missing'}"
        for cid in sorted(set(deviations) - failed)
    ]
    problems += [f"{cid}: the report's deviation note is {outcome[cid]['deviation']!r}"
                 for cid in sorted(failed & set(deviations))
                 if outcome[cid]["deviation"] != deviations[cid]]
    return problems


def certification_problems(report: dict[str, Any]) -> list[str]:
    """Scored clauses that neither pass nor are n/a, plus coverage problems."""
    problems = [
        f"{c['id']} ({c['level']}): {c['outcome']}: {c['detail']}"
        for c in report["clauses"]
        if c["level"] in SCORED and c["outcome"] not in ("pass", "n/a", "fail", "uncovered")
    ]
    return problems + coverage_problems(report)


# --- the runs ------------------------------------------------------------------------------


@dataclass
class SuiteRun:
    """One suite run: its exit code, the pytest outcome counts and the target's report."""

    ret: int
    outcomes: dict[str, int]
    report: dict[str, Any]


@pytest.fixture(scope="module")
def _suite_runs() -> dict[str, SuiteRun]:
    return {}


@pytest.fixture
def suite_run(pytester: pytest.Pytester, _suite_runs: dict[str, SuiteRun]):
    """``suite_run(row)``: the run of the installed suite for ``row`` (made once)."""

    def run(row: Row) -> SuiteRun:
        if row.id not in _suite_runs:
            reports = pytester.path / "reports"
            result = pytester.runpytest_subprocess(
                f"--dbapi-driver={row.driver}", f"--dbapi-database={row.database}",
                f"--dbapi-server={row.server}", f"--dbapi-report={reports}",
                "-p", "no:cacheprovider", timeout=RUN_TIMEOUT,
            )
            found = [p for p in reports.glob("*.json") if p.name != "matrix.json"]
            assert len(found) == 1, f"expected one target report, got {found}:\n{result.stdout}"
            _suite_runs[row.id] = SuiteRun(int(result.ret), result.parseoutcomes(),
                                           json.loads(Path(found[0]).read_text("utf-8")))
        return _suite_runs[row.id]

    return run


def test_every_registry_driver_has_a_row():
    drivers = {db.reference_module for db in DATABASES.values() if db.reference_connect}
    drivers |= {client.module for db in DATABASES.values() for client in db.clients}
    rows = {builtin_profile(r.driver).module if builtin_profile(r.driver) else r.driver
            for r in ROWS} | {f"dbapi_conformance.drivers.{r.driver}" for r in ROWS}
    assert drivers <= rows, f"registry drivers without a certification row: {drivers - rows}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_certification(suite_run, row):
    run = suite_run(row)
    report = run.report
    assert report["target"] == row.target
    if row.version is not None:
        assert report["driver"]["version"] == row.version, (
            f"the pins were confirmed with {row.driver} {row.version}; check them again for "
            f"{report['driver']['version']}")
    assert certification_problems(report) == []
    assert sorted(failing_tests(report) - row.failing) == [], "tests that fail unpinned"
    assert sorted(row.failing - failing_tests(report)) == [], "pinned failures that pass"
    assert na_problems(report, row.na) == []
    profile = builtin_profile(row.driver) or builtin_profile(
        f"dbapi_conformance.drivers.{row.driver}")
    assert deviation_problems(report, profile.known_deviations) == []
    assert report["known_deviations"] == dict(profile.known_deviations)
    # the mock ran where the profile asks (a subprocess for clients that block its loop)
    in_subprocess = report["server"]["product"].endswith("(dbapi-conformance, subprocess)")
    assert in_subprocess == (profile.mock_runner == "subprocess"), report["server"]
    assert verdict_line(report) == row.verdicts
    assert (run.ret == 0) == (not row.failing), f"the suite run's exit status: {run.outcomes}"


# --- the checks themselves can fail ----------------------------------------------------------


def _clause(cid, level="MUST", outcome="pass", detail=None, deviation=None):
    return {"id": cid, "level": level, "outcome": outcome, "detail": detail,
            "deviation": deviation}


def _report(*clauses, unknown=(), untagged=()):
    return {"clauses": list(clauses), "unknown_clause_ids": list(unknown),
            "untagged_tests": list(untagged)}


def test_certification_problems_name_each_shortfall():
    good = _report(_clause("A-1"), _clause("A-2", "OPT", "n/a", "no such thing"),
                   _clause("A-3", "MAY", "observed", "saw it"))
    assert certification_problems(good) == []
    bad = _report(
        _clause("B-1", "MUST", "fail", "boom"),
        _clause("B-2", "SHOULD", "skipped", "no server"),
        _clause("B-3", "OPT", "n/a", ""),
        _clause("B-4", "MAY", "uncovered"),
        _clause("B-5", "OPT", "xfail", "declared"),
        unknown=["ZZZ-1"], untagged=["test_x.py::test_y[t]"],
    )
    assert certification_problems(bad) == [
        "B-2 (SHOULD): skipped: no server",
        "B-5 (OPT): xfail: declared",
        "B-4 (MAY): uncovered",
        "B-3 (OPT): n/a without a reason",
        "clause id not in the checklist: ZZZ-1",
        "test without a pep249 marker: test_x.py::test_y[t]",
    ]


def test_deviation_problems_catch_new_failures_fixed_deviations_and_notes():
    deviations = {"D-1": "known", "D-2": "fixed meanwhile", "D-3": "noted"}
    report = _report(
        _clause("D-1", outcome="fail", detail="x", deviation="known"),
        _clause("D-2", outcome="pass"),
        _clause("D-3", outcome="fail", detail="y", deviation=None),
        _clause("D-4", outcome="fail", detail="new mock bug"),
    )
    assert deviation_problems(report, deviations) == [
        "D-4 fails without a declared deviation: new mock bug",
        "D-2 is a declared deviation but its outcome is pass",
        "D-3: the report's deviation note is None",
    ]
    exact = _report(_clause("D-1", outcome="fail", detail="x", deviation="known"))
    assert deviation_problems(exact, {"D-1": "known"}) == []


def _tested(nodeid, outcome, detail=None):
    return {"tests": [{"nodeid": nodeid, "outcome": outcome, "detail": detail}]}


def test_na_problems_require_pinned_tests_with_declared_reasons():
    report = {"target": "x-mock", "capabilities_absent": {"tpc": "no two-phase commit"},
              "clauses": [
                  _tested("t.py::a[x-mock]", "n/a", "tpc: no two-phase commit"),
                  _tested("t.py::b[x-mock-1]", "n/a", "scroll: no scrolling"),
                  _tested("t.py::c[x-mock]", "n/a", "rownumber: not declared"),
                  _tested("t.py::d[x-mock]", "pass"),
              ]}
    assert na_problems(report, {"t.py::a": "tpc", "t.py::b[1]": "scroll", "t.py::d": "tpc"}) == [
        "t.py::c is n/a, not pinned: rownumber: not declared",
        "t.py::d is pinned n/a (tpc) but is not n/a",
        "t.py::b[1]: n/a detail 'scroll: no scrolling' is not the declared "
        "'scroll: <not declared>'",
    ]
    without = "transactions: the clause is about targets without transactions, and ..."
    report["clauses"].append(_tested("t.py::e[x-mock]", "n/a", without))
    pins = {"t.py::a": "tpc", "t.py::b[1]": "scroll", "t.py::e": "without transactions"}
    assert na_problems(report, pins)[-1] == (
        "t.py::b[1]: n/a detail 'scroll: no scrolling' is not the declared "
        "'scroll: <not declared>'")
    assert na_problems(report, {**pins, "t.py::e": "without tpc"})[-1].startswith("t.py::e: ")
    del report["clauses"][-1]
    report["capabilities_absent"]["scroll"] = "no scrolling"
    del report["clauses"][2]
    assert na_problems(report, {"t.py::a": "tpc", "t.py::b[1]": "scroll"}) == []


def test_failing_tests_are_named_without_the_target_id():
    assert test_name("t.py::test_x[crate.client-cratedb-mock-date]",
                     "crate.client-cratedb-mock") == "t.py::test_x[date]"
    assert test_name("t.py::test_x[cratedb-mock]", "cratedb-mock") == "t.py::test_x"
    assert test_name("t.py::test_x", "cratedb-mock") == "t.py::test_x"
    report = {"target": "x-mock", "clauses": [
        {"tests": [{"nodeid": "a.py::t[x-mock-1]", "outcome": "fail"},
                   {"nodeid": "a.py::u[x-mock]", "outcome": "pass"}]},
        {"tests": [{"nodeid": "b.py::v[x-mock]", "outcome": "fail"}]}]}
    assert failing_tests(report) == {"a.py::t[1]", "b.py::v"}
