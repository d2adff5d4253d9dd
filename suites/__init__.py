"""Conformance suites run by the dbapi_conformance pytest plugin."""
