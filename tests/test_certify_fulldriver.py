"""The whole suite against tests/fulldriver (a sqlite3 driver with every optional PEP 249
feature), against fulldriver.broken (one behaviour broken per area, broken.BREAKS), against
fulldriver.broken2 (one behaviour broken per clause broken.py leaves alone, broken2.BREAKS)
and against fulldriver.bare (PEP 249's required surface only, every optional capability
declared absent: bare.py, profile.BARE_CAPABILITIES).

Pinned, as written-down expectations: the outcome of every clause for fulldriver, the exact
failing and n/a tests, and for each broken variant the exact failing clauses and tests (all
other clauses as for fulldriver); for the bare variant the outcome of every clause, no
failing test, the exact n/a tests with the capability whose declared reason each reports,
and the observations only a target without the extensions produces. A suite test that stops
reaching its assertions, or can no longer fail, changes a pin. Each suite run happens once
per module, in a subprocess (pytester), and its JSON report is reused.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from dbapi_conformance.harness.targets import EMBEDDED

TESTS_DIR = Path(__file__).resolve().parent
#: The reason of the tests that need a server (n/a on every embedded database).
NO_SERVER = f"server: {EMBEDDED.reason('server')}"
#: The run's conftest: puts tests/ on sys.path (the repo root is not) and adds the profile.
CONFTEST = (
    "import sys\n"
    f"sys.path.insert(0, {str(TESTS_DIR)!r})\n"
    "from fulldriver.profile import pytest_dbapi_profile  # noqa: E402,F401\n"
)
RUN_TIMEOUT = 300

#: fulldriver: clause id -> outcome, every clause of the checklist.
FULL_OUTCOMES = {
    "MOD-CONNECT-1": "pass", "MOD-CONNECT-2": "pass", "MOD-CONNECT-3": "observed",
    "GLB-APILEVEL-1": "pass", "GLB-APILEVEL-2": "pass", "GLB-THREAD-1": "pass",
    "GLB-THREAD-2": "pass", "GLB-PARAM-1": "pass", "GLB-PARAM-2": "pass", "GLB-PARAM-3": "pass",
    "EXC-ALL-1": "pass", "EXC-WARN-1": "pass", "EXC-WARN-2": "pass", "EXC-WARN-3": "observed",
    "EXC-ERR-1": "pass", "EXC-IFACE-1": "pass", "EXC-DB-1": "pass", "EXC-DATA-1": "pass",
    "EXC-OPER-1": "pass", "EXC-INTEG-1": "pass", "EXC-INTERN-1": "pass", "EXC-PROG-1": "pass",
    "EXC-NOTSUP-1": "pass", "EXC-VALUES-1": "pass", "EXC-EXTEND-1": "observed",
    "CON-CLOSE-1": "pass", "CON-CLOSE-2": "pass", "CON-CLOSE-3": "pass", "CON-CLOSE-4": "pass",
    "CON-CLOSE-5": "observed", "CON-COMMIT-1": "pass", "CON-COMMIT-2": "pass",
    "CON-COMMIT-3": "observed", "CON-COMMIT-4": "n/a", "CON-ROLLBACK-1": "pass",
    "CON-ROLLBACK-2": "pass", "CON-ROLLBACK-3": "n/a", "CON-CURSOR-1": "pass",
    "CON-CURSOR-2": "observed", "CUR-ISO-1": "pass", "CUR-ISO-2": "observed",
    "CUR-DESC-1": "pass", "CUR-DESC-2": "pass", "CUR-DESC-3": "pass", "CUR-DESC-4": "pass",
    "CUR-DESC-5": "pass", "CUR-ROWC-1": "pass", "CUR-ROWC-2": "pass", "CUR-ROWC-3": "pass",
    "CUR-ROWC-4": "observed", "CUR-ROWC-5": "pass", "CUR-ROWC-6": "observed",
    "CUR-ASIZE-1": "pass", "CUR-ASIZE-2": "pass", "CUR-ASIZE-3": "observed",
    "CUR-CALLPROC-1": "pass", "CUR-CALLPROC-2": "pass", "CUR-CALLPROC-3": "pass",
    "CUR-CLOSE-1": "pass", "CUR-CLOSE-2": "pass", "CUR-EXEC-1": "pass", "CUR-EXEC-2": "pass",
    "CUR-EXEC-3": "pass", "CUR-EXEC-4": "pass", "CUR-EXEC-5": "pass", "CUR-EXEC-6": "observed",
    "CUR-EXEC-7": "pass", "CUR-EXEC-8": "observed", "CUR-EXEC-9": "observed",
    "CUR-EXECMANY-1": "pass", "CUR-EXECMANY-2": "observed", "CUR-EXECMANY-3": "observed",
    "CUR-EXECMANY-4": "observed", "CUR-FONE-1": "pass", "CUR-FONE-2": "pass",
    "CUR-FONE-3": "observed", "CUR-FMANY-1": "pass", "CUR-FMANY-2": "pass",
    "CUR-FMANY-3": "pass", "CUR-FMANY-4": "pass", "CUR-FALL-1": "pass", "CUR-FALL-2": "pass",
    "CUR-NEXTSET-1": "pass", "CUR-NEXTSET-2": "pass", "CUR-NEXTSET-3": "pass",
    "CUR-SETIN-1": "pass", "CUR-SETOUT-1": "pass", "TYP-CTOR-1": "pass", "TYP-CTOR-2": "pass",
    "TYP-CTOR-3": "pass", "TYP-OBJ-1": "pass", "TYP-OBJ-2": "observed", "TYP-OBJ-3": "pass",
    "TYP-NULL-1": "pass", "TYP-HINT-1": "pass", "TYP-OPEN-1": "observed",
    "EXT-ROWNUM-1": "pass", "EXT-CONNEXC-1": "pass", "EXT-CURCONN-1": "pass",
    "EXT-SCROLL-1": "pass", "EXT-SCROLL-2": "pass", "EXT-SCROLL-3": "pass", "EXT-MSG-1": "pass",
    "EXT-MSG-2": "pass", "EXT-MSG-3": "pass", "EXT-NEXT-1": "pass", "EXT-ITER-1": "pass",
    "EXT-LASTROW-1": "pass", "EXT-LASTROW-2": "observed", "EXT-AUTOC-1": "pass",
    "EXT-AUTOC-2": "pass", "EXT-AUTOC-3": "observed", "EXT-ERRH-1": "pass",
    "EXT-ERRH-2": "pass", "EXT-ERRH-3": "pass", "TPC-GEN-1": "pass", "TPC-XID-1": "pass",
    "TPC-XID-2": "pass", "TPC-XID-3": "n/a", "TPC-BEGIN-1": "pass", "TPC-BEGIN-2": "pass",
    "TPC-PREP-1": "pass", "TPC-COMMIT-1": "pass", "TPC-COMMIT-2": "pass", "TPC-RB-1": "pass",
    "TPC-RECOVER-1": "pass",
}

#: fulldriver tests that do not apply, test id (without the target) -> the reason reported.
FULL_NA = {
    "test_exceptions.py::test_errors_are_module_errors[unreachable_server]":
        NO_SERVER,
    "test_exceptions.py::test_error_class_per_failure[unreachable_server-OperationalError]":
        NO_SERVER,
    "test_connection.py::test_commit_without_transactions_is_a_no_op":
        "transactions: the clause is about targets without transactions, and this target "
        "does not declare 'transactions' absent",
    "test_transactions.py::test_rollback_without_transactions":
        "transactions: the clause is about targets without transactions, and this target "
        "does not declare 'transactions' absent",
    "test_tpc.py::test_xid_without_tpc_raises":
        "tpc: the clause is about targets without tpc, and this target does not declare "
        "'tpc' absent",
}

#: fulldriver.broken: the clauses that fail (broken.BREAKS, plus what a break also touches:
#: TPC-BEGIN-1 and TPC-COMMIT-1 lose a one-phase commit; EXC-ERR-1 by EXC-IFACE-1's break).
BROKEN_FAILING_CLAUSES = {
    "CON-CLOSE-1", "CON-CLOSE-2", "CON-CLOSE-3", "CON-CLOSE-4", "CON-ROLLBACK-2",
    "CUR-ASIZE-1", "CUR-ASIZE-2", "CUR-CALLPROC-2", "CUR-CALLPROC-3", "CUR-CLOSE-1",
    "CUR-CLOSE-2", "CUR-DESC-1", "CUR-DESC-2", "CUR-DESC-3", "CUR-DESC-4", "CUR-DESC-5",
    "CUR-EXEC-1", "CUR-EXEC-3", "CUR-EXEC-4", "CUR-EXEC-5", "CUR-EXEC-7", "CUR-EXECMANY-1",
    "CUR-FALL-1", "CUR-FMANY-1", "CUR-FMANY-2", "CUR-FMANY-3", "CUR-FONE-1", "CUR-FONE-2",
    "CUR-NEXTSET-2", "CUR-NEXTSET-3", "CUR-ROWC-1", "CUR-ROWC-2", "CUR-ROWC-3", "CUR-ROWC-5",
    "CUR-SETIN-1", "CUR-SETOUT-1", "EXC-ALL-1", "EXC-DATA-1", "EXC-ERR-1", "EXC-IFACE-1",
    "EXC-INTEG-1", "EXC-INTERN-1", "EXC-NOTSUP-1", "EXC-OPER-1", "EXC-PROG-1", "EXC-VALUES-1",
    "EXC-WARN-1", "EXT-AUTOC-2", "EXT-CURCONN-1", "EXT-ERRH-2", "EXT-LASTROW-1", "EXT-MSG-2",
    "EXT-SCROLL-2", "GLB-APILEVEL-2", "GLB-PARAM-3", "GLB-THREAD-1", "TPC-BEGIN-1",
    "TPC-COMMIT-1", "TPC-XID-1", "TYP-CTOR-1", "TYP-CTOR-2", "TYP-CTOR-3", "TYP-HINT-1",
    "TYP-NULL-1", "TYP-OBJ-1", "TYP-OBJ-3",
}
#: fulldriver.broken: the failing tests (test id without the target).
BROKEN_FAILING_TESTS = {
    "test_connection.py::test_close_takes_effect_at_once",
    "test_connection.py::test_closed_connection_raises_error[cursor]",
    "test_connection.py::test_closed_connection_raises_error[rollback]",
    "test_connection.py::test_cursor_of_closed_connection_raises_error[executemany]",
    "test_cursor_attributes.py::test_arraysize_defaults_to_one_and_is_writable",
    "test_cursor_attributes.py::test_description_has_seven_items_per_column",
    "test_cursor_attributes.py::test_description_is_none_without_result_set[ddl]",
    "test_cursor_attributes.py::test_description_is_read_only",
    "test_cursor_attributes.py::test_description_mandatory_and_optional_items",
    "test_cursor_attributes.py::test_fetchmany_honours_arraysize",
    "test_cursor_attributes.py::test_rowcount_counts_affected_rows",
    "test_cursor_attributes.py::test_rowcount_counts_matched_rows_of_update",
    "test_cursor_attributes.py::test_rowcount_is_minus_one_before_execute",
    "test_cursor_attributes.py::test_rowcount_is_read_only",
    "test_exceptions.py::test_database_error_subclass[InternalError]",
    "test_exceptions.py::test_database_error_subclass[NotSupportedError]",
    "test_exceptions.py::test_database_error_subclass[OperationalError]",
    "test_exceptions.py::test_error_class_per_failure[data_error-DataError]",
    "test_exceptions.py::test_error_class_per_failure[duplicate_key-IntegrityError]",
    "test_exceptions.py::test_error_class_per_failure[syntax_error-ProgrammingError]",
    "test_exceptions.py::test_error_is_the_base_of_all_errors",
    "test_exceptions.py::test_error_message_is_helpful[unknown_table]",
    "test_exceptions.py::test_errors_are_module_errors[closed_connection]",
    "test_exceptions.py::test_errors_are_module_errors[unbindable_parameter]",
    "test_exceptions.py::test_interface_error_subclasses_error",
    "test_exceptions.py::test_warning_subclasses_exception",
    "test_execute.py::test_bound_values_need_no_escaping",
    "test_execute.py::test_closed_cursor_raises_error[nextset]",
    "test_execute.py::test_cursor_close_takes_effect_at_once",
    "test_execute.py::test_declared_paramstyle_works",
    "test_execute.py::test_execute_runs_dml_and_queries",
    "test_execute.py::test_executemany_runs_once_per_parameter_set",
    "test_execute.py::test_parameters_in_custom_getitem_containers",
    "test_execute.py::test_percent_escape_in_format_styles",
    "test_execute.py::test_setinputsizes",
    "test_execute.py::test_setoutputsize",
    "test_execute.py::test_values_larger_than_declared_input_sizes",
    "test_extensions.py::test_autocommit_switch",
    "test_extensions.py::test_callproc_result_set",
    "test_extensions.py::test_callproc_returns_modified_copy",
    "test_extensions.py::test_cursor_connection",
    "test_extensions.py::test_cursor_messages_are_cleared_by_standard_methods",
    "test_extensions.py::test_errorhandler_is_called",
    "test_extensions.py::test_lastrowid",
    "test_extensions.py::test_nextset_moves_to_the_next_set",
    "test_extensions.py::test_nextset_without_result_set_raises",
    "test_extensions.py::test_scroll_outside_the_result_set",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_ddl]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_executemany]",
    "test_fetch.py::test_fetch_without_result_set_raises[fetchone-after_insert]",
    "test_fetch.py::test_fetchall_returns_the_remaining_rows",
    "test_fetch.py::test_fetchmany_returns_fewer_only_at_the_end",
    "test_fetch.py::test_fetchmany_returns_sequences_then_empty",
    "test_fetch.py::test_fetchmany_size_defaults_to_arraysize",
    "test_fetch.py::test_fetchone_on_empty_result",
    "test_module.py::test_apilevel_is_2_0",
    "test_module.py::test_threadsafety_is_0_to_3",
    "test_tpc.py::test_tpc_begin_outside_and_inside_a_transaction",
    "test_tpc.py::test_tpc_commit[one_phase]",
    "test_tpc.py::test_xid_is_a_three_item_sequence",
    "test_transactions.py::test_close_without_commit_rolls_back",
    "test_transactions.py::test_rollback_discards_the_pending_transaction",
    "test_types.py::test_binary_values_round_trip",
    "test_types.py::test_constructed_values_are_bound_as_their_type[timestamp]",
    "test_types.py::test_none_is_null_in_and_out",
    "test_types.py::test_results_have_hinted_types[binary]",
    "test_types.py::test_temporal_constructors_build_values[date]",
    "test_types.py::test_ticks_constructors_use_local_time",
    "test_types.py::test_type_code_compares_equal_to_type_object[time]",
    "test_types.py::test_type_objects_exist",
}


#: fulldriver.broken2: the clauses that fail (broken2.BREAKS, plus EXC-ERR-1: its test also
#: checks that DatabaseError is an Error, EXC-DB-1's break).
BROKEN2_FAILING_CLAUSES = {
    "CON-COMMIT-2", "CON-CURSOR-1", "CUR-ISO-1", "EXC-DB-1", "EXC-ERR-1", "EXC-WARN-2",
    "EXT-AUTOC-1", "EXT-CONNEXC-1", "EXT-ERRH-1", "EXT-ERRH-3", "EXT-ITER-1", "EXT-MSG-1",
    "EXT-MSG-3", "EXT-NEXT-1", "EXT-ROWNUM-1", "EXT-SCROLL-1", "EXT-SCROLL-3", "MOD-CONNECT-2",
    "TPC-BEGIN-2", "TPC-COMMIT-2", "TPC-GEN-1", "TPC-PREP-1", "TPC-RB-1", "TPC-RECOVER-1",
    "TPC-XID-2",
}
#: fulldriver.broken2: the failing tests (test id without the target), one per break (two
#: for EXC-DB-1's).
BROKEN2_FAILING_TESTS = {
    "test_connection.py::test_cursor_returns_new_cursors",
    "test_exceptions.py::test_database_error_subclasses_error",
    "test_exceptions.py::test_error_is_the_base_of_all_errors",
    "test_exceptions.py::test_warning_is_not_an_error",
    "test_extensions.py::test_autocommit_attribute",
    "test_extensions.py::test_connection_messages_are_cleared_by_standard_methods",
    "test_extensions.py::test_cursor_copies_the_connection_errorhandler",
    "test_extensions.py::test_cursor_messages_hold_the_database_messages",
    "test_extensions.py::test_errorhandler_attributes",
    "test_extensions.py::test_exception_classes_on_the_connection",
    "test_extensions.py::test_iter_returns_self",
    "test_extensions.py::test_next",
    "test_extensions.py::test_rownumber",
    "test_extensions.py::test_scroll",
    "test_extensions.py::test_scroll_backwards",
    "test_module.py::test_connect_accepts_suggested_keywords",
    "test_tpc.py::test_commit_and_rollback_inside_tpc_raise[rollback]",
    "test_tpc.py::test_tpc_api_is_complete",
    "test_tpc.py::test_tpc_commit_for_recovery",
    "test_tpc.py::test_tpc_prepare_rules",
    "test_tpc.py::test_tpc_recover",
    "test_tpc.py::test_tpc_rollback[before_prepare]",
    # The TPC-GEN-1 break (tpc_recover only while a transaction is prepared) also fails
    # the rollback tests' check that recovery forgets a rolled-back transaction.
    "test_tpc.py::test_tpc_rollback[after_prepare]",
    "test_tpc.py::test_tpc_rollback[recovery]",
    "test_tpc.py::test_xid_extremes",
    "test_transactions.py::test_autocommit_is_off_when_the_connection_opens",
    "test_transactions.py::test_cursors_of_one_connection_see_each_others_changes",
}

#: fulldriver.bare: the clauses whose outcome differs from fulldriver's (every other clause
#: has FULL_OUTCOMES' outcome). What the bare variant lacks is n/a; the clauses about
#: targets without transactions or TPC (CON-COMMIT-4, CON-ROLLBACK-3, TPC-XID-3) pass.
BARE_OUTCOME_CHANGES = {
    "CON-CLOSE-4": "n/a", "CON-COMMIT-2": "n/a", "CON-COMMIT-4": "pass",
    "CON-ROLLBACK-1": "n/a", "CON-ROLLBACK-2": "n/a", "CON-ROLLBACK-3": "pass",
    "CUR-CALLPROC-1": "n/a", "CUR-CALLPROC-2": "n/a", "CUR-CALLPROC-3": "n/a",
    "CUR-NEXTSET-1": "n/a", "CUR-NEXTSET-2": "n/a", "CUR-NEXTSET-3": "n/a",
    "TYP-OPEN-1": "n/a",
    "EXT-ROWNUM-1": "n/a", "EXT-CONNEXC-1": "n/a", "EXT-CURCONN-1": "n/a",
    "EXT-SCROLL-1": "n/a", "EXT-SCROLL-2": "n/a", "EXT-SCROLL-3": "n/a",
    "EXT-MSG-1": "n/a", "EXT-MSG-2": "n/a", "EXT-MSG-3": "n/a", "EXT-NEXT-1": "n/a",
    "EXT-ITER-1": "n/a", "EXT-LASTROW-1": "n/a", "EXT-AUTOC-1": "n/a", "EXT-AUTOC-2": "n/a",
    "EXT-ERRH-1": "n/a", "EXT-ERRH-2": "n/a", "EXT-ERRH-3": "n/a",
    "TPC-XID-1": "n/a", "TPC-XID-2": "n/a", "TPC-XID-3": "pass", "TPC-BEGIN-1": "n/a",
    "TPC-BEGIN-2": "n/a", "TPC-PREP-1": "n/a", "TPC-COMMIT-1": "n/a", "TPC-COMMIT-2": "n/a",
    "TPC-RB-1": "n/a", "TPC-RECOVER-1": "n/a",
}
#: fulldriver.bare: clause id -> outcome, every clause of the checklist.
BARE_OUTCOMES = {**FULL_OUTCOMES, **BARE_OUTCOME_CHANGES}

#: fulldriver.bare tests that do not apply, test id (without the target) -> the capability
#: whose declared reason the test reports ("<capability>: <reason>"), or None for NO_SERVER.
BARE_NA = {
    "test_exceptions.py::test_errors_are_module_errors[unreachable_server]": None,
    "test_exceptions.py::test_error_class_per_failure[unreachable_server-OperationalError]":
        None,
    # through dbapi_optional (the tests have no dbapi_requires mark)
    "test_execute.py::test_closed_cursor_raises_error[callproc]": "callproc",
    "test_execute.py::test_closed_cursor_raises_error[nextset]": "nextset",
    "test_extensions.py::test_lastrowid": "lastrowid",
    # through dbapi_requires
    "test_transactions.py::test_autocommit_is_off_when_the_connection_opens": "transactions",
    "test_transactions.py::test_close_without_commit_rolls_back": "transactions",
    "test_transactions.py::test_rollback_discards_the_pending_transaction": "transactions",
    "test_transactions.py::test_rollback_is_a_method": "rollback",
    "test_extensions.py::test_autocommit_attribute": "autocommit_attribute",
    "test_extensions.py::test_autocommit_switch": "transactions",
    "test_extensions.py::test_callproc_is_a_method": "callproc",
    "test_extensions.py::test_callproc_result_set": "callproc",
    "test_extensions.py::test_callproc_returns_modified_copy": "callproc",
    "test_extensions.py::test_connection_messages_are_cleared_by_standard_methods": "messages",
    "test_extensions.py::test_cursor_connection": "cursor_connection",
    "test_extensions.py::test_cursor_copies_the_connection_errorhandler": "errorhandler",
    "test_extensions.py::test_cursor_messages_are_cleared_by_standard_methods": "messages",
    "test_extensions.py::test_cursor_messages_hold_the_database_messages": "warning_messages",
    "test_extensions.py::test_cursor_messages_is_a_list": "messages",
    "test_extensions.py::test_errorhandler_attributes": "errorhandler",
    "test_extensions.py::test_errorhandler_is_called": "errorhandler",
    "test_extensions.py::test_exception_classes_on_the_connection": "connection_exceptions",
    "test_extensions.py::test_iter_returns_self": "iter",
    "test_extensions.py::test_next": "next",
    "test_extensions.py::test_nextset_is_a_method": "nextset",
    "test_extensions.py::test_nextset_moves_to_the_next_set": "nextset",
    "test_extensions.py::test_nextset_with_a_single_set": "nextset",
    "test_extensions.py::test_nextset_without_result_set_raises": "nextset",
    "test_extensions.py::test_rownumber": "rownumber",
    "test_extensions.py::test_scroll": "scroll",
    "test_extensions.py::test_scroll_backwards": "scroll",
    "test_extensions.py::test_scroll_outside_the_result_set": "scroll",
    "test_tpc.py::test_commit_and_rollback_inside_tpc_raise[commit]": "tpc",
    "test_tpc.py::test_commit_and_rollback_inside_tpc_raise[rollback]": "tpc",
    "test_tpc.py::test_tpc_begin_outside_and_inside_a_transaction": "tpc",
    "test_tpc.py::test_tpc_commit[one_phase]": "tpc",
    "test_tpc.py::test_tpc_commit[two_phase]": "tpc",
    "test_tpc.py::test_tpc_commit_for_recovery": "tpc",
    "test_tpc.py::test_tpc_prepare_rules": "tpc",
    "test_tpc.py::test_tpc_recover": "tpc",
    "test_tpc.py::test_tpc_rollback[after_prepare]": "tpc",
    "test_tpc.py::test_tpc_rollback[before_prepare]": "tpc",
    "test_tpc.py::test_tpc_rollback[recovery]": "tpc",
    "test_tpc.py::test_xid_extremes": "tpc",
    "test_tpc.py::test_xid_is_a_three_item_sequence": "tpc",
    "test_types.py::test_binary_values_are_bound_as_binary": "binary",
    "test_types.py::test_binary_values_round_trip": "binary",
    "test_types.py::test_results_have_hinted_types[binary]": "binary",
    "test_types.py::test_type_code_compares_equal_to_type_object[binary]": "binary",
    "test_types.py::test_constructed_values_are_bound_as_their_type[time]": "time_type",
    "test_types.py::test_results_have_hinted_types[time]": "time_type",
    "test_types.py::test_temporal_values_round_trip[time]": "time_type",
    "test_types.py::test_type_code_compares_equal_to_type_object[time]": "time_type",
    "test_types.py::test_decimal_result_type": "decimal_type",
    "test_types.py::test_plain_values_round_trip[decimal]": "decimal_type",
    "test_types.py::test_type_code_compares_equal_to_type_object[decimal]": "decimal_type",
}
#: fulldriver.bare: observations only a target without the extensions (and claiming
#: threadsafety 1, paramstyle "numeric") produces, clause id -> the clause's observations.
BARE_OBSERVED = {
    "MOD-CONNECT-3": ["connect() has no autocommit keyword"],
    "GLB-THREAD-2": ["threadsafety 1: level 2 is not claimed",
                     "threadsafety 1: level 3 is not claimed"],
    "CON-COMMIT-3": ["autocommit controls on the connection: none"],
    "CUR-ISO-2": ["uncommitted insert seen by another connection: True "
                  "(declared transactions: False)"],
    "EXT-LASTROW-2": ["cursor has no lastrowid"],
    "EXT-AUTOC-3": ["connection has setautocommit(): False"],
}


def _bare_capabilities():
    sys.path.insert(0, str(TESTS_DIR))
    from fulldriver.profile import BARE_CAPABILITIES

    return BARE_CAPABILITIES


# --- the runs ------------------------------------------------------------------------------


def strip_target(nodeid: str, target: str) -> str:
    """``test_x.py::test_y[target-a-b]`` -> ``test_x.py::test_y[a-b]`` (target removed)."""
    for form in (f"[{target}-", f"[{target}]"):
        if form in nodeid:
            return nodeid.replace(form, "[" if form.endswith("-") else "").replace("[]", "")
    return nodeid


def results_with(report: dict[str, Any], outcome: str) -> dict[str, str | None]:
    """Test id (target removed) -> detail of every test with ``outcome``."""
    found = {}
    for clause in report["clauses"]:
        for test in clause["tests"]:
            if test["outcome"] == outcome:
                found[strip_target(test["nodeid"], report["target"])] = test["detail"]
    return found


@pytest.fixture(scope="module")
def _runs() -> dict[str, dict[str, Any]]:
    return {}


@pytest.fixture
def suite_report(pytester: pytest.Pytester, _runs: dict[str, dict[str, Any]]):
    """``suite_report(driver)``: the target report of a whole-suite run (made once)."""

    def run(driver: str) -> dict[str, Any]:
        if driver not in _runs:
            pytester.makeconftest(CONFTEST)
            reports = pytester.path / f"reports-{driver}"
            result = pytester.runpytest_subprocess(
                f"--dbapi-driver={driver}", f"--dbapi-report={reports}",
                "-p", "no:cacheprovider", timeout=RUN_TIMEOUT,
            )
            path = reports / f"{driver}-sqlite.json"
            assert path.is_file(), f"no report for {driver}:\n{result.stdout}\n{result.stderr}"
            _runs[driver] = json.loads(path.read_text("utf-8"))
        return _runs[driver]

    return run


# --- fulldriver ----------------------------------------------------------------------------


def test_full_driver_clause_outcomes(suite_report):
    report = suite_report("fulldriver")
    assert report["target"] == "fulldriver-sqlite"
    outcomes = {c["id"]: c["outcome"] for c in report["clauses"]}
    assert set(FULL_OUTCOMES) == set(outcomes), "the pin must name every checklist clause"
    changed = {cid: f"{FULL_OUTCOMES[cid]} -> {outcomes[cid]}" for cid in outcomes
               if outcomes[cid] != FULL_OUTCOMES[cid]}
    assert changed == {}
    assert report["unknown_clause_ids"] == [] and report["untagged_tests"] == []
    assert report["capabilities_absent"] == EMBEDDED.as_dict()


def test_full_driver_fails_nothing(suite_report):
    assert results_with(suite_report("fulldriver"), "fail") == {}


def test_full_driver_not_applicable_tests(suite_report):
    assert results_with(suite_report("fulldriver"), "n/a") == FULL_NA


def test_full_driver_skips_nothing_else(suite_report):
    report = suite_report("fulldriver")
    assert set(report["tests"]) <= {"pass", "fail", "n/a"}, report["tests"]
    assert report["tests"]["n/a"] == len(FULL_NA)
    assert report["driver"]["threadsafety"] == 3 and report["driver"]["paramstyle"] == "named"


# --- fulldriver.bare ------------------------------------------------------------------------


def test_bare_driver_clause_outcomes(suite_report):
    """Every clause: pass or n/a, observed for MAY/UNSPEC (BARE_OUTCOMES); none fails."""
    report = suite_report("fulldriver.bare")
    assert report["target"] == "fulldriver.bare-sqlite"
    outcomes = {c["id"]: c["outcome"] for c in report["clauses"]}
    assert set(BARE_OUTCOMES) == set(outcomes), "the pin must name every checklist clause"
    changed = {cid: f"{BARE_OUTCOMES[cid]} -> {outcomes[cid]}" for cid in outcomes
               if outcomes[cid] != BARE_OUTCOMES[cid]}
    assert changed == {}
    assert "fail" not in outcomes.values()
    assert report["unknown_clause_ids"] == [] and report["untagged_tests"] == []
    assert report["capabilities_absent"] == EMBEDDED.merged(_bare_capabilities()).as_dict()


def test_bare_driver_fails_nothing(suite_report):
    assert results_with(suite_report("fulldriver.bare"), "fail") == {}


def test_bare_driver_not_applicable_tests(suite_report):
    """The exact n/a tests; each reports "<capability>: <declared reason>" (or NO_SERVER)."""
    capabilities = _bare_capabilities()
    found = results_with(suite_report("fulldriver.bare"), "n/a")
    assert set(found) == set(BARE_NA)
    expected = {test: NO_SERVER if cap is None else f"{cap}: {capabilities.reason(cap)}"
                for test, cap in BARE_NA.items()}
    assert found == expected
    assert all(capabilities.reason(cap) for cap in BARE_NA.values() if cap is not None)


def test_bare_driver_runs_the_tests_about_missing_features(suite_report):
    """CON-COMMIT-4, CON-ROLLBACK-3 and TPC-XID-3 (dbapi_without) run and pass here."""
    report = suite_report("fulldriver.bare")
    passed = results_with(report, "pass")
    for test in FULL_NA:
        if "unreachable_server" not in test:
            assert test in passed, f"{test} did not run and pass"
    assert "test_tpc.py::test_tpc_api_is_complete" in passed  # TPC known only at run time


def test_bare_driver_observations(suite_report):
    """What only a driver without the extensions is observed doing (BARE_OBSERVED)."""
    clauses = {c["id"]: c for c in suite_report("fulldriver.bare")["clauses"]}
    assert {cid: clauses[cid]["observed"] for cid in BARE_OBSERVED} == BARE_OBSERVED


def test_bare_driver_skips_nothing_else(suite_report):
    report = suite_report("fulldriver.bare")
    assert set(report["tests"]) == {"pass", "n/a"}, report["tests"]
    assert report["tests"]["n/a"] == len(BARE_NA)
    assert report["driver"]["threadsafety"] == 1 and report["driver"]["paramstyle"] == "numeric"


# --- fulldriver.broken ---------------------------------------------------------------------


def test_broken_driver_fails_exactly_the_pinned_clauses(suite_report):
    report = suite_report("fulldriver.broken")
    outcomes = {c["id"]: c["outcome"] for c in report["clauses"]}
    failing = {cid for cid, outcome in outcomes.items() if outcome == "fail"}
    assert failing == BROKEN_FAILING_CLAUSES
    others = {cid: outcome for cid, outcome in outcomes.items() if cid not in failing}
    assert others == {cid: o for cid, o in FULL_OUTCOMES.items() if cid not in failing}


def test_broken_driver_fails_exactly_the_pinned_tests(suite_report):
    report = suite_report("fulldriver.broken")
    assert set(results_with(report, "fail")) == BROKEN_FAILING_TESTS
    assert results_with(report, "n/a") == FULL_NA


def test_every_break_is_caught_by_its_clause():
    sys.path.insert(0, str(TESTS_DIR))
    from fulldriver.broken import BREAKS

    assert {clause for _, _, clause in BREAKS} <= BROKEN_FAILING_CLAUSES


# --- fulldriver.broken2 --------------------------------------------------------------------


def test_broken2_driver_fails_exactly_the_pinned_clauses(suite_report):
    report = suite_report("fulldriver.broken2")
    assert report["target"] == "fulldriver.broken2-sqlite"
    outcomes = {c["id"]: c["outcome"] for c in report["clauses"]}
    failing = {cid for cid, outcome in outcomes.items() if outcome == "fail"}
    assert failing == BROKEN2_FAILING_CLAUSES
    others = {cid: outcome for cid, outcome in outcomes.items() if cid not in failing}
    assert others == {cid: o for cid, o in FULL_OUTCOMES.items() if cid not in failing}


def test_broken2_driver_fails_exactly_the_pinned_tests(suite_report):
    report = suite_report("fulldriver.broken2")
    assert set(results_with(report, "fail")) == BROKEN2_FAILING_TESTS
    assert results_with(report, "n/a") == FULL_NA


def test_every_break2_is_caught_by_its_clause():
    sys.path.insert(0, str(TESTS_DIR))
    from fulldriver.broken import BREAKS as FIRST
    from fulldriver.broken2 import BREAKS

    clauses = [clause for _, _, clause in BREAKS]
    assert set(clauses) <= BROKEN2_FAILING_CLAUSES
    assert len(clauses) == len(set(clauses)), "one break per clause"
    assert not set(clauses) & {clause for _, _, clause in FIRST}, "broken.py breaks these"


def test_strip_target_removes_the_target_id():
    assert strip_target("a.py::t[x-sqlite]", "x-sqlite") == "a.py::t"
    assert strip_target("a.py::t[x-sqlite-p-q]", "x-sqlite") == "a.py::t[p-q]"
    assert strip_target("a.py::t", "x-sqlite") == "a.py::t"


#: Suite tests no fulldriver variant can run (an embedded database has no server); the
#: CrateDB rows of tests/test_certify.py run them (they are not in those rows' n/a pins).
NEED_A_SERVER = {
    "test_exceptions.py::test_errors_are_module_errors[unreachable_server]",
    "test_exceptions.py::test_error_class_per_failure[unreachable_server-OperationalError]",
}


def test_every_suite_test_reaches_its_assertions_on_some_target(suite_report):
    """No suite test is n/a on every target of the project's own tests."""
    ran: set[str] = set()
    seen: set[str] = set()
    for driver in ("fulldriver", "fulldriver.broken", "fulldriver.bare"):
        report = suite_report(driver)
        for outcome in ("pass", "fail", "n/a"):
            found = set(results_with(report, outcome))
            seen |= found
            if outcome != "n/a":
                ran |= found
    assert seen - ran == NEED_A_SERVER
    # The sibling module's pins (tests are not importable as modules: --import-mode=importlib).
    spec = importlib.util.spec_from_file_location("certify_rows", TESTS_DIR / "test_certify.py")
    certify = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = certify  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(certify)
    finally:
        del sys.modules[spec.name]
    assert [row for row in certify.ROWS if row.server != "none"], "no target with a server"
    for row in certify.ROWS:
        assert not NEED_A_SERVER & set(row.na), f"{row.id} does not run {NEED_A_SERVER}"
